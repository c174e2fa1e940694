"""Fault: a real PostgreSQL server is restarted (``pg_ctl restart``) while annotators claim and
submit over HTTP against a real web server.

The cluster is private to this test (``initdb`` in a temporary folder, its own port), holding a copy
of this run's test database (``pg_dump`` | ``pg_restore``), so the shared server is never touched.
The restart is PostgreSQL's default ``fast`` mode: every session is ended, the server checkpoints,
stops and starts again. Afterwards, read from the restarted cluster: every acknowledged submission
is stored once, nobody answered an item twice, no item has more answers than its overlap, counters
agree with the rows, nobody holds two live leases, and all the work got done.
(``test_faults_postgres.py`` cuts connections through a proxy instead, under load and while idle.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.conftest import World, services_env

from .faultkit import free_port, start_server, tail
from .test_faults_postgres import OVERLAP, Person, fault_project, start_people

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ITEMS = 30
_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
PG_BIN = Path(_BINS[-1]) if _BINS else None


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own, run as the ``postgres`` OS user when we are root."""

    def __init__(self, root: Path) -> None:
        assert PG_BIN is not None
        self.root, self.data, self.port = root, root / "data", free_port()
        self.log = root / "server.log"
        root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")

    def _run(self, *args: str, timeout: float = 60) -> None:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout[-1500:]} {done.stderr[-1500:]}\n{tail(self.log)}"

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=40"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def restart(self) -> None:
        """``pg_ctl restart`` (fast): sessions are ended, the server stops and starts on the same options."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


def _copy_test_database(pg: PrivatePostgres, name: str) -> None:
    """This run's test database (schema and committed rows) into the private cluster."""
    db = connection.settings_dict
    source = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"] or "postgres"]
    subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", name],
                   check=True, timeout=30)
    dump = subprocess.Popen([str(PG_BIN / "pg_dump"), *source, "-Fc", db["NAME"]], stdout=subprocess.PIPE)
    restore = subprocess.run(
        [str(PG_BIN / "pg_restore"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", name,
         "--no-owner", "--exit-on-error"],
        stdin=dump.stdout, capture_output=True, text=True, timeout=120, check=False,
    )
    assert dump.wait(timeout=120) == 0 and restore.returncode == 0, restore.stderr[-2000:]


def _query(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.mark.skipif(PG_BIN is None or shutil.which("runuser") is None, reason="no PostgreSQL server binaries here")
def test_a_real_postgres_restart_during_claims_loses_and_duplicates_nothing(
    transactional_db: Any, world: World, tmp_path: Path
) -> None:
    project, tokens = fault_project(world, "PG restart", ITEMS)
    pg = PrivatePostgres(Path(f"/tmp/quorum-pg-{os.getpid()}-{time.monotonic_ns()}"))
    server = None
    people: list[Person] = []
    url = pg.url("quorum_fault")
    try:
        pg.start()
        _copy_test_database(pg, "quorum_fault")
        env = services_env(DATABASE_URL=url, QUORUM_THROTTLE_USER="1000000/min", QUORUM_DB_POOL_MAX="4")
        server = start_server(env, tmp_path / "server.log")
        stop_at = time.monotonic() + 90
        people = start_people(server.port, project.pk, tokens, stop_at, threading.Event(), half_of=ITEMS)
        restarted, restarted_wall = time.monotonic(), time.time()
        pg.restart()  # under load: every session ends, including the server's pooled connections
        back = time.monotonic()
        for p in people:
            p.join(timeout=max(1.0, stop_at - time.monotonic()))
        assert not any(p.is_alive() for p in people), "annotators still running at the deadline"
        status, _, body = server.request("GET", "/healthz")
        assert status == 200, body
    except BaseException:
        pg.stop()
        shutil.rmtree(pg.root, ignore_errors=True)
        raise
    finally:
        if server is not None:
            server.stop()

    try:
        failures = [(t, f) for p in people for t, f in p.failures]
        # Requests in flight while the server was away fail cleanly (503 in the API's format, or the
        # connection itself broke), never with a 500 page; a few seconds after it is back, none fail.
        unclean = [f for _, f in failures if "database_unavailable" not in f and not f.endswith("Error")]
        assert not unclean, unclean[:3]
        late = [f for t, f in failures if t > back + 3.0]
        assert not late, late[:5]
        assert any(t > back for p in people for t in p.successes), "nothing succeeded after the restart"
        assert restarted < back
        refused = [f for _, f in failures if f.startswith("submit refused")]
        assert not refused, refused[:5]

        (started,) = _query(url, "SELECT extract(epoch FROM pg_postmaster_start_time())")[0]
        assert float(started) >= restarted_wall - 1, "the server was not restarted"

        acked = [a for p in people for a in p.acked]
        stored = dict(_query(
            url, "SELECT a.id, a.item_id FROM annotation_annotation a JOIN annotation_item i ON i.id = a.item_id "
            "WHERE i.project_id = %s", [project.pk],
        ))
        assert all(stored.get(pk) == item for pk, item in acked), "an acknowledged submission is missing"
        assert len({pk for pk, _ in acked}) == len(acked)
        twice = _query(
            url, "SELECT a.item_id, a.annotator_id FROM annotation_annotation a JOIN annotation_item i "
            "ON i.id = a.item_id WHERE i.project_id = %s GROUP BY 1, 2 HAVING COUNT(*) > 1", [project.pk],
        )
        assert twice == []
        rows = _query(
            url, "SELECT i.id, i.annotation_count, i.state, COUNT(a.id) FROM annotation_item i "
            "LEFT JOIN annotation_annotation a ON a.item_id = i.id WHERE i.project_id = %s GROUP BY i.id",
            [project.pk],
        )
        for item_id, counter, state, n in rows:
            assert n <= OVERLAP and counter == n, f"item {item_id}: counter {counter}, {n} answers"
            assert (state == "done") == (n >= OVERLAP)
        assert sum(n for *_, n in rows) == ITEMS * OVERLAP, "work was lost to a dead lease or counter"
        held = _query(
            url, "SELECT annotator_id FROM annotation_lease WHERE project_id = %s AND state = 'active' "
            "AND expires_at > now() GROUP BY 1 HAVING COUNT(*) > 1", [project.pk],
        )
        assert held == []
    finally:
        pg.stop()
        shutil.rmtree(pg.root, ignore_errors=True)
