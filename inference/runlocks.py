"""Run locks: a PostgreSQL advisory lock says "a live process is running this job"; it goes when the process does.

A worker killed mid-job (SIGKILL, OOM, a lost machine) cannot mark its job as interrupted, but its
database session ends with it and PostgreSQL releases the session's advisory locks at once. So a
recovery pass can tell a dead run from a live one without waiting for a heartbeat to go stale, and
a second delivery of the same job (``acks_late`` redelivery next to a recovery re-queue) can see
that it would run the job twice. In embedded mode (SQLite, one worker) there is nothing to lock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)

# The first key of the two-key advisory lock: one per kind of job (the second key is its id).
KINDS = {"snapshot": 0x51_0001, "prelabel": 0x51_0002}


def _postgres() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def run_lock(kind: str, key: int) -> Iterator[bool]:
    """Hold the run lock of (``kind``, ``key``) for the block; yields False (and holds nothing) when
    another live session holds it. Session-level, so it spans the block's own transactions; it is
    released on exit (the connection may go back to a pool) or when the process dies."""
    if not _postgres():
        yield True
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [KINDS[kind], key])
        row = cur.fetchone()
    got = bool(row and row[0])
    try:
        yield got
    finally:
        if got:
            try:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s, %s)", [KINDS[kind], key])
            except DatabaseError:  # the session is gone, and the lock with it
                log.warning("could not release run lock %s %s", kind, key, exc_info=True)


def is_running(kind: str, key: int) -> bool:
    """Whether a live session holds the run lock of (``kind``, ``key``). Embedded mode: never."""
    if not _postgres():
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [KINDS[kind], key])
        row = cur.fetchone()
        if not (row and row[0]):
            return True
        cur.execute("SELECT pg_advisory_unlock(%s, %s)", [KINDS[kind], key])
    return False
