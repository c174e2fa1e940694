"""Running the queue's hand-written statements: prepared on PostgreSQL, plain elsewhere.

Planning the claim statement takes longer than running it (about 1.3 ms against 0.7 ms at a
million items), and claims come by the hundred a second. So on PostgreSQL the hot statements are
prepared once per connection; psycopg keeps them, and pooled connections keep them across
requests. Django's own cursors bind parameters client-side and cannot prepare, so these run on a
server-binding psycopg cursor over Django's connection: same transaction, database errors wrapped
as Django's, and logged with Django's queries when query logging is on (tests count them).
"""

from __future__ import annotations

import re
import time
from functools import lru_cache
from typing import Any

from django.db import connection

_QUOTED = re.compile(r"('(?:[^']|'')*')")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=256)
def compact(sql: str) -> str:
    """The statement with each run of whitespace outside quotes made one space. psycopg converts a
    statement's ``%(name)s`` placeholders once per distinct text only for texts up to 4 KiB (longer
    ones are converted on every execution: a tenth of a web worker for the one-statement submit,
    4.2 KiB as written). A statement with ``--`` comments is left as it is."""
    parts = _QUOTED.split(sql)
    if any("--" in part for part in parts[::2]):
        return sql
    parts[::2] = [_SPACES.sub(" ", part) for part in parts[::2]]
    return "".join(parts).strip()


def _run(sql: str, params: Any, many: bool) -> Any:
    if connection.vendor != "postgresql":
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if many else cur.fetchone()
    import psycopg  # the PostgreSQL driver; only imported where it is the database

    sql = compact(sql)
    connection.ensure_connection()
    start = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:
        cur.execute(sql, params, prepare=True)
        result = cur.fetchall() if many else cur.fetchone()
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - start:.3f}"})
    return result


def fetch_one(sql: str, params: Any) -> tuple[Any, ...] | None:
    row: tuple[Any, ...] | None = _run(sql, params, many=False)
    return row


def fetch_all(sql: str, params: Any) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = _run(sql, params, many=True)
    return rows
