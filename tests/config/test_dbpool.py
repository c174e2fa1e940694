"""The pool's check of a connection taken out: free for a healthy one, a round trip (and a failure)
only for one the server has closed."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

from config.dbpool import check_idle_connection

pytestmark = [
    pytest.mark.django_db,  # the test database, reached with its own connections
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pool"),
]


def _connect() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    return psycopg.connect(**params, autocommit=True)


def _last_query(pid: int) -> str:
    with _connect() as observer:
        row = observer.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


def test_a_healthy_idle_connection_passes_without_a_round_trip():
    with _connect() as conn:
        pid = conn.execute("SELECT pg_backend_pid() /* marker */").fetchone()[0]
        for _ in range(3):
            check_idle_connection(conn)
        assert _last_query(pid) == "SELECT pg_backend_pid() /* marker */"  # nothing else was sent


def test_a_connection_the_server_closed_fails_the_check():
    with _connect() as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        with _connect() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                check_idle_connection(conn)
            except psycopg.OperationalError:
                break
            time.sleep(0.05)  # the server's goodbye is on its way
        else:
            pytest.fail("the check passed a terminated connection for 5 s")


def test_a_closed_connection_fails_the_check():
    conn = _connect()
    conn.close()
    with pytest.raises(psycopg.OperationalError):
        check_idle_connection(conn)


def test_the_pool_checks_with_it():
    connection.ensure_connection()
    pool = connection.pool
    if pool is None:
        pytest.skip("no pool in these settings")
    assert pool._check is check_idle_connection
