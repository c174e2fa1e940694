#!/usr/bin/env bash
# The triage bench on the torch backend on a CUDA GPU; without one, says so as JSON and exits 0.
# Usage: bench/triage_gpu.sh [--items N] [other bench/triage.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo '{"skipped": "no GPU"}'
    exit 0
fi
exec "$PY" -m bench.triage --backend torch --device cuda "$@"
