"""The PostgreSQL connection pool's check of a connection as a request takes it out.

psycopg_pool's stock check (what ``CONN_HEALTH_CHECKS`` selects) sends an empty query every time:
one round trip per request, two per claim-and-submit cycle in the queue bench. A connection
lying idle in the pool has nothing to read: when its socket does have something, the server has
closed it (restart, ``pg_terminate_backend``, a proxy cutting it) or sent it a message it was
not waiting for. Only then is the round trip made, and a dead connection raises there, so the
pool discards it and hands out another. A peer that vanished without closing the socket passes
this check (the stock one would block on it until the TCP timeout instead); the request's own
first statement then fails with a 503 and the connection is discarded after it.
"""

from __future__ import annotations

import select
from typing import Any


def check_idle_connection(conn: Any) -> None:
    """Raise if ``conn`` (a psycopg Connection taken from the pool) is dead; quiet when it is fine."""
    from psycopg import OperationalError
    from psycopg_pool import ConnectionPool

    if conn.closed or conn.broken:
        raise OperationalError("the connection is closed")
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError) as e:
        raise OperationalError(f"the connection's socket is unusable: {e}") from e
    if readable:
        ConnectionPool.check_connection(conn)
