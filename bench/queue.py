"""`python -m bench queue --items N --annotators K --seconds S [--think-ms T] [--overlap O]`.

Loads N items into a fresh project in PostgreSQL (``BENCH_DATABASE_URL``, else ``DATABASE_URL``
when it names a database other than the test one, else ``quorum_bench``; created and migrated if
missing), starts a real server (uvicorn running ``config.asgi:application`` in services mode),
and runs K annotators over HTTP for S seconds: each claims an item, thinks for T ms (0 by
default; spread 0.5-1.5x) and submits one label with a client key. Then it stops the server,
checks the database and prints::

    {"items", "annotators", "claims", "claims_per_s", "p50_ms", "p99_ms",
     "double_assignments", "lost", ...}

``claims`` counts completed claim-then-submit cycles; ``p50_ms``/``p99_ms`` are claim request
latencies seen by the client. ``double_assignments``: an annotator with two annotations on one
item, or an item with more than ``overlap`` annotations. ``lost``: submissions the server
acknowledged (2xx) that are not in the database. The project and its rows are deleted afterwards
unless ``--keep``. Runs standalone too: ``python bench/queue.py ...``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: the repository, not bench/, goes first on the path (this file would
    # otherwise shadow the standard library's `queue` module).
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import threading
import time
from typing import Any
from urllib.parse import urlparse

from bench.common import DEFAULT_DB, DEFAULT_REDIS, setup_django

ROOT = Path(__file__).resolve().parent.parent
ORG_SLUG = "bench-queue"
LABELS = ["billing", "technical", "account", "other"]


def _database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    url = os.environ.get("DATABASE_URL", "")
    # `make bench` exports the test suite's DATABASE_URL (database "quorum"): keep benches apart.
    if url and urlparse(url).path.lstrip("/") not in ("", "quorum"):
        return url
    return DEFAULT_DB


# --- setup -------------------------------------------------------------------------------------------


_LOAD_SQL = """
INSERT INTO annotation_item (
    project_id, external_id, text_sealed, text_redacted, text_pseudonymized, redaction_version, media, metadata,
    source_system,
    jurisdiction, allowed_purposes, content_hash, state, priority, is_gold, reference,
    pinned_vendor_id, internal_only, annotation_count, lease_count, leased_until, import_job_id,
    created_at, updated_at)
SELECT %(project)s, 'q-' || g,
    -- Opaque bytes as long as a sealed ticket: the claim path never reads this column.
    decode(md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g + 3)::text), 'hex'),
    'Ticket ' || g || ': my order arrived damaged, call me on <PHONE>.',
    'Ticket ' || g || ': my order arrived damaged, call me on <PHONE>.',
    1, '', jsonb_build_object('ticket', g, 'channel', 'email'), 'bench', 'EU',
    '["annotation", "model_training", "evaluation"]'::jsonb, md5(g::text), 'open',
    CASE WHEN g %% 10 = 0 THEN 2 WHEN g %% 5 = 0 THEN 1 ELSE 0 END,
    g %% 50 = 0 AND %(gold)s, NULL, NULL, FALSE, 0, 0, NULL, NULL, now(), now()
FROM generate_series(%(start)s, %(stop)s) AS g
"""


_REFERRERS_SQL = """
SELECT cl.relname, att.attname
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid
JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
WHERE con.contype = 'f' AND con.confrelid = %s::regclass AND cardinality(con.conkey) = 1
"""


def _delete_where(cur: Any, table: str, where: str, params: list[Any], path: tuple[str, ...] = ()) -> None:
    """Delete the rows of ``table`` matching ``where``, after every row of any table that points at
    them by foreign key (found in the catalog, so a new app's table is covered without a change).
    A cycle of foreign keys is followed once around."""
    cur.execute(_REFERRERS_SQL, [table])
    for child, column in cur.fetchall():
        if child != table and child not in path:
            _delete_where(
                cur, child, f"{column} IN (SELECT id FROM {table} WHERE {where})", params, (*path, table)
            )
    cur.execute(f"DELETE FROM {table} WHERE {where}", params)


def drop_projects(project_ids: list[int]) -> None:
    """Delete bench projects and everything that points at them with set-based SQL (the ORM's
    cascade would load a million ids)."""
    from django.db import connection, transaction

    if not project_ids:
        return
    with transaction.atomic(), connection.cursor() as cur:
        _delete_where(cur, "annotation_project", "id = ANY(%s)", [project_ids])


def vacuum() -> None:
    """VACUUM the tables a run churns. The bench deletes a million rows per run; where autovacuum is
    off (as on the bench machine) nothing else would reclaim them."""
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("annotation_item", "annotation_lease", "annotation_annotation", "annotation_skip"):
            cur.execute(f"VACUUM (ANALYZE) {table}")


def prepare(n_items: int, n_annotators: int, overlap: int, gold_rate: float) -> dict[str, Any]:
    from django.db import connection, transaction

    from annotation.models import Project
    from annotation.services import project_create
    from workforce.access import actor_for
    from workforce.models import ApiToken, Clearance, Organization, Role, User, Vendor
    from workforce.services import token_create, user_create

    org, _ = Organization.objects.get_or_create(slug=ORG_SLUG, defaults={"name": "Bench queue"})
    old = list(Project.objects.filter(organization=org).values_list("pk", flat=True))
    if old:
        drop_projects(old)
        vacuum()
    vendor, _ = Vendor.objects.get_or_create(
        organization=org, name="Bench vendor", defaults={"country": "PT", "clearance": Clearance.STANDARD}
    )
    admin = User.objects.filter(username="bench-queue-admin").first() or user_create(
        organization=org, username="bench-queue-admin", password="bench-pass-123", role=Role.ADMIN
    )
    project = project_create(
        actor=actor_for(admin), name=f"Queue bench {int(time.time())}", kind="single_label",
        label_schema={"labels": [{"value": v} for v in LABELS]}, overlap=overlap, gold_rate=gold_rate,
        lease_seconds=300, vendors=[vendor],
    )
    t0 = time.perf_counter()
    step = 250_000
    with transaction.atomic(), connection.cursor() as cur:
        for start in range(1, n_items + 1, step):
            cur.execute(
                _LOAD_SQL,
                {"project": project.pk, "start": start, "stop": min(start + step - 1, n_items), "gold": gold_rate > 0},
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE annotation_item")
    load_s = time.perf_counter() - t0

    # Annotators: vendor users without passwords (hashing 200 passwords would take a minute).
    names = [f"bench-q-{i:04d}" for i in range(n_annotators)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    new_users = []
    for name in names:
        if name not in existing:
            user = User(username=name, organization=org, vendor=vendor, role=Role.ANNOTATOR)
            user.set_unusable_password()
            new_users.append(user)
    User.objects.bulk_create(new_users)
    users = {u.username: u for u in User.objects.filter(username__in=names).select_related("vendor")}
    ApiToken.objects.filter(user__username__startswith="bench-q-", name="bench").delete()  # earlier runs'
    tokens = [
        token_create(actor=actor_for(users[name]), name="bench", scopes=["read", "write"], expires_in_days=1)[1]
        for name in names
    ]
    return {"project": project.pk, "tokens": tokens, "load_s": round(load_s, 2), "overlap": overlap}


# --- server ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(database_url: str, workers: int, interface: str = "asgi") -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=os.environ.get("REDIS_URL", DEFAULT_REDIS),
        # Shared services settings plus a connection pool; no DEBUG (it records every query).
        DJANGO_SETTINGS_MODULE="bench.queue_settings",
        QUORUM_THROTTLE_USER=os.environ.get("QUORUM_THROTTLE_USER", "1000000/min"),
        QUORUM_LOG_LEVEL="WARNING",
    )
    app = ["config.asgi:application"]
    if interface == "wsgi":  # the same Django project behind uvicorn's WSGI adapter (threads)
        app = ["--interface", "wsgi", "--factory", "django.core.wsgi:get_wsgi_application"]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port",
         str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
         "--loop", "uvloop", "--http", "httptools", "--no-proxy-headers"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return server, port
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("server did not become healthy within 60 s")


def stop_server(server: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Stop a process group started with ``start_new_session`` (a server, a worker): TERM, then KILL."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- autoanalyze -------------------------------------------------------------------------------------------

# Tables a run grows from (nearly) empty: their statistics go stale within seconds. (The day rollups
# change often but stay a few rows: re-analyzing them would only make every connection re-plan.)
CHURNED = ("annotation_lease", "annotation_annotation", "annotation_skip", "quality_submissionrecord",
           "quality_agreementdirty")

_STALE_SQL = """
SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.relname = ANY(%s) AND s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0)
"""


class AutoAnalyze(threading.Thread):
    """What autovacuum's autoanalyze does on a deployment (PostgreSQL's default, and compose's): a
    table is analyzed again once changes since its last analyze exceed 50 rows + 10% of it. The
    bench machine's PostgreSQL runs with autovacuum off, and a run starts on emptied lease and
    annotation tables: without this, the prepared claim and submit statements keep the plans they
    got while those tables were a page long (sequential scans) for the whole run, a cost that grows
    with every cycle and that no running deployment pays. Checks every 2 s (autovacuum: every minute,
    on tables that are not emptied before each run)."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url, self.stop, self.analyzed = database_url, threading.Event(), 0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stop.wait(2.0):
                for (table,) in conn.execute(_STALE_SQL, [list(CHURNED)]).fetchall():
                    conn.execute(f"ANALYZE {table}")  # a name from CHURNED
                    self.analyzed += 1


# --- load ------------------------------------------------------------------------------------------------


class Annotator(threading.Thread):
    """One person at the workspace: claim, think, submit, over one keep-alive connection."""

    def __init__(self, idx: int, port: int, project: int, token: str, think_s: float, run: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.idx, self.port, self.project, self.think_s, self.run_state = idx, port, project, think_s, run
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.claim_ms: list[float] = []
        self.submit_ms: list[float] = []
        self.acked: list[int] = []
        self.cycles = 0
        self.empty = 0
        self.errors: list[str] = []
        self.warmed = threading.Event()
        self.rng = random.Random(idx)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else b""
        for attempt in (1, 2):
            try:
                self.conn.request("POST", path, body=payload, headers=self.headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def cycle(self, record: bool) -> bool:
        t0 = time.perf_counter()
        status, body = self.post(f"/api/v1/projects/{self.project}/claim")
        elapsed = (time.perf_counter() - t0) * 1000
        if status == 204:
            self.empty += 1
            time.sleep(0.05)
            return False
        if status != 200:
            self.errors.append(f"claim {status}: {body[:200]!r}")
            time.sleep(0.05)
            return False
        if record:
            self.claim_ms.append(elapsed)
        lease = json.loads(body)["lease"]
        if self.think_s:
            time.sleep(self.think_s * self.rng.uniform(0.5, 1.5))
        key = f"b{self.idx}-{lease['id']}"
        submit = {"labels": [self.rng.choice(LABELS)], "client_key": key, "time_spent_ms": 1000}
        t1 = time.perf_counter()
        status, body = self.post(f"/api/v1/leases/{lease['id']}/submit", submit)
        if status in (200, 201):
            self.acked.append(int(json.loads(body)["annotation"]["id"]))
            if record:
                self.submit_ms.append((time.perf_counter() - t1) * 1000)
                self.cycles += 1
            return True
        self.errors.append(f"submit {status}: {body[:200]!r}")
        return False

    def run(self) -> None:
        state = self.run_state
        try:
            try:
                self.cycle(record=False)  # warm-up: connection, worker caches
            finally:
                self.warmed.set()
            state["ready"].wait()
            if self.think_s:  # people do not all start at the same instant
                time.sleep(self.rng.uniform(0, self.think_s))
            while time.monotonic() < state["deadline"]:
                self.cycle(record=True)
        except Exception as e:
            self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            self.conn.close()


def _cpu_seconds(server: subprocess.Popen[bytes]) -> dict[str, float]:
    """CPU time so far of the server's processes, the PostgreSQL backends serving the bench
    database (other sessions on the machine excluded), Redis, and this client process."""
    import psutil
    from django.db import connection

    out = {"server": 0.0, "postgres": 0.0, "redis": 0.0, "client": 0.0}

    def add(key: str, proc: psutil.Process) -> None:
        try:
            t = proc.cpu_times()
            out[key] += t.user + t.system
        except psutil.Error:
            pass

    root = psutil.Process(server.pid)
    for proc in [root, *root.children(recursive=True)]:
        add("server", proc)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for (pid,) in cur.fetchall():
            if psutil.pid_exists(pid):
                add("postgres", psutil.Process(pid))
    for proc in psutil.process_iter(["name"]):
        if (proc.info["name"] or "").startswith("redis"):
            add("redis", proc)
    add("client", psutil.Process())
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def drive(
    server: subprocess.Popen[bytes], port: int, project: int, tokens: list[str], seconds: float, think_ms: float
) -> dict[str, Any]:
    state: dict[str, Any] = {"ready": threading.Event(), "deadline": 0.0}
    people = [Annotator(i, port, project, tok, think_ms / 1000, state) for i, tok in enumerate(tokens)]
    for p in people:
        p.start()
    for p in people:
        p.warmed.wait()
    cpu_before = _cpu_seconds(server)
    started = time.monotonic()
    state["deadline"] = started + seconds
    state["ready"].set()
    for p in people:
        p.join()
    wall = time.monotonic() - started
    cpu_after = _cpu_seconds(server)
    claim_ms = [ms for p in people for ms in p.claim_ms]
    submit_ms = [ms for p in people for ms in p.submit_ms]
    cycles = sum(p.cycles for p in people)
    errors = [e for p in people for e in p.errors]
    return {
        "claims": cycles,
        "claims_per_s": round(cycles / wall, 1),
        "p50_ms": _pct(claim_ms, 0.50),
        "p99_ms": _pct(claim_ms, 0.99),
        "mean_ms": round(statistics.fmean(claim_ms), 2) if claim_ms else 0.0,
        "submit_p50_ms": _pct(submit_ms, 0.50),
        "submit_p99_ms": _pct(submit_ms, 0.99),
        "empty_claims": sum(p.empty for p in people),
        "errors": len(errors),
        "first_errors": errors[:3],
        "acked": [a for p in people for a in p.acked],
        "wall_s": round(wall, 2),
        # Where the machine's CPU went, per completed cycle (claim + submit), in ms.
        "cpu_ms_per_cycle": {
            k: round((cpu_after[k] - cpu_before[k]) * 1000 / max(cycles, 1), 2) for k in cpu_before
        },
    }


# --- verification ------------------------------------------------------------------------------------------


def _item_updates() -> tuple[int, int]:
    """Updates of item rows so far, and how many were HOT (no index entries written)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'annotation_item'")
        row = cur.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def verify(project: int, overlap: int, acked: list[int]) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM annotation_annotation WHERE id = ANY(%s)", [acked])
        found = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*) FROM (SELECT a.item_id, a.annotator_id FROM annotation_annotation a "
            "JOIN annotation_item i ON i.id = a.item_id WHERE i.project_id = %s "
            "GROUP BY a.item_id, a.annotator_id HAVING COUNT(*) > 1) t",
            [project],
        )
        twice = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*) FROM (SELECT a.item_id FROM annotation_annotation a "
            "JOIN annotation_item i ON i.id = a.item_id WHERE i.project_id = %s AND NOT i.is_gold "
            "GROUP BY a.item_id HAVING COUNT(*) > %s) t",
            [project, overlap],
        )
        over = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*) FROM annotation_item i WHERE i.project_id = %s AND i.annotation_count <> "
            "(SELECT COUNT(*) FROM annotation_annotation a WHERE a.item_id = i.id) "
            "AND i.id IN (SELECT item_id FROM annotation_lease WHERE project_id = %s)",
            [project, project],
        )
        mismatch = cur.fetchone()[0]
    return {
        "double_assignments": int(twice) + int(over),
        "lost": len(set(acked)) - int(found),
        "count_mismatches": int(mismatch),
    }


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench queue")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think-ms", type=float, default=0)
    parser.add_argument("--overlap", type=int, default=1)
    parser.add_argument("--gold-rate", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_QUEUE_WORKERS", "2")),
                        help="uvicorn worker processes")
    parser.add_argument("--interface", choices=("asgi", "wsgi"), default="asgi",
                        help="serve config.asgi:application (default) or the same project over WSGI")
    parser.add_argument("--keep", action="store_true", help="keep the project and its rows afterwards")
    args = parser.parse_args(argv)

    database_url = _database_url()
    setup_django(database_url)
    setup = prepare(args.items, args.annotators, args.overlap, args.gold_rate)
    server, port = start_server(database_url, args.workers, args.interface)
    updates_before = _item_updates()
    analyze = AutoAnalyze(database_url)
    analyze.start()
    try:
        run = drive(server, port, setup["project"], setup["tokens"], args.seconds, args.think_ms)
    finally:
        analyze.stop.set()
        stop_server(server)
        analyze.join()
    run["autoanalyze_runs"] = analyze.analyzed
    time.sleep(1.1)  # PostgreSQL flushes table statistics about once a second
    updates, hot = (a - b for a, b in zip(_item_updates(), updates_before, strict=True))
    run["item_hot_update_pct"] = round(100 * hot / updates, 1) if updates else 0.0
    checks = verify(setup["project"], args.overlap, run.pop("acked"))
    if not args.keep:
        drop_projects([setup["project"]])
        vacuum()
    return {
        "items": args.items,
        "annotators": args.annotators,
        "claims": run.pop("claims"),
        "claims_per_s": run.pop("claims_per_s"),
        "p50_ms": run.pop("p50_ms"),
        "p99_ms": run.pop("p99_ms"),
        "double_assignments": checks["double_assignments"],
        "lost": checks["lost"],
        "count_mismatches": checks["count_mismatches"],
        "seconds": args.seconds,
        "think_ms": args.think_ms,
        "overlap": args.overlap,
        "workers": args.workers,
        "interface": args.interface,
        "load_s": setup["load_s"],
        **run,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
