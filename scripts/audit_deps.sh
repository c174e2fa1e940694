#!/usr/bin/env bash
# Dependency audit for CI: known vulnerabilities in the packages installed in .venv (pip-audit, pinned in
# pyproject.toml's dev extras), against the package index's advisory data.
#
# - A vulnerability fails the audit unless scripts/audit_allowlist.txt lists its id with a reason.
# - If the advisory service cannot be reached (offline machine) or could audit nothing, it warns loudly
#   and exits 0: an unreachable database is not a finding, but it is never reported as "clean" either.
# Usage: scripts/audit_deps.sh [pip-audit vulnerability service: pypi (default) | osv]
# Tests: QUORUM_AUDIT_REPORT=<a pip-audit JSON report> reads that report instead of running pip-audit.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
ALLOWLIST="${QUORUM_AUDIT_ALLOWLIST:-scripts/audit_allowlist.txt}"
SERVICE="${1:-${QUORUM_AUDIT_SERVICE:-pypi}}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! "$PY" -m pip_audit --version >/dev/null 2>&1; then
  echo "audit: pip-audit is not installed in .venv (make install installs the dev extras)" >&2
  exit 1
fi

# The allowlist: "<vulnerability id> <package> <reason...>"; an entry without a reason is an error.
ignore=()
while read -r id package reason; do
  [ -z "${id:-}" ] && continue
  case "$id" in \#*) continue ;; esac
  if [ -z "${reason:-}" ] || [ "$(wc -w <<<"$reason")" -lt 3 ]; then
    echo "audit: $ALLOWLIST: $id ($package) needs a reason of a few words" >&2
    exit 1
  fi
  ignore+=(--ignore-vuln "$id")
done < <(grep -v '^[[:space:]]*$' "$ALLOWLIST" 2>/dev/null || true)

# --skip-editable: Quorum itself. Errors (no network) are told apart from findings by the JSON report.
if [ -n "${QUORUM_AUDIT_REPORT:-}" ]; then
  cp "$QUORUM_AUDIT_REPORT" "$work/report.json" 2>/dev/null; rc=0; : >"$work/stderr"
else
  "$PY" -m pip_audit --progress-spinner off --vulnerability-service "$SERVICE" --skip-editable --desc off \
    --format json --output "$work/report.json" "${ignore[@]}" 2>"$work/stderr"
  rc=$?
fi

"$PY" - "$work/report.json" "$work/stderr" "$rc" "$SERVICE" "$ALLOWLIST" <<'PYEOF'
"""Reads pip-audit's JSON report: 0 clean, 1 vulnerable, 0 with a warning when nothing could be audited."""
import json
import sys
from pathlib import Path

report, stderr, rc, service = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
allowlist = Path(sys.argv[5])
allowed = {
    line.split()[0] for line in (allowlist.read_text().splitlines() if allowlist.exists() else [])
    if line.strip() and not line.lstrip().startswith("#")
}
err = stderr.read_text(errors="replace") if stderr.exists() else ""
try:
    deps = json.loads(report.read_text())["dependencies"]
except (OSError, ValueError, KeyError):
    deps = None
if deps is None:
    print(f"audit: WARNING: the vulnerability database ({service}) could not be reached; NOTHING WAS AUDITED.")
    print("audit: " + (err.strip().splitlines() or ["(no error output)"])[-1][:400])
    sys.exit(0)
audited = [d for d in deps if "vulns" in d]
skipped = [d for d in deps if "skip_reason" in d]
if not audited:
    print(f"audit: WARNING: the vulnerability database ({service}) answered for none of the {len(deps)} packages "
          "(offline or no advisory data here); NOTHING WAS AUDITED.")
    sys.exit(0)
found = [
    (d["name"], d["version"], v) for d in audited for v in d["vulns"]
    if not ({v["id"], *(v.get("aliases") or [])} & allowed)
]
print(f"audit: {len(audited)} packages audited against {service}, {len(skipped)} skipped "
      f"(not on the index: {', '.join(sorted(d['name'] for d in skipped)[:12]) or 'none'})")
for name, version, vuln in found:
    fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
    print(f"audit: VULNERABLE {name} {version}: {vuln['id']} {' '.join(vuln.get('aliases') or [])} (fixed in: {fixes})")
if found:
    print("audit: upgrade the pins in pyproject.toml, or list the id in scripts/audit_allowlist.txt with the reason "
          "it does not apply")
    sys.exit(1)
if rc != 0 and not any(d["vulns"] for d in audited):  # an error, not an (allowed) finding
    print(f"audit: pip-audit exited {rc} without a finding:\n{err[-2000:]}")
    sys.exit(1)
print("audit: no known vulnerabilities")
PYEOF
