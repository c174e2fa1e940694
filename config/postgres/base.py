"""Django's PostgreSQL backend, with the connection pool checking connections the cheap way.

Django builds the psycopg pool itself and passes it psycopg's stock check (or none); the pool takes
a check only as a constructor argument. This backend swaps in ``config.dbpool.check_idle_connection``
once, when the pool is created.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from config.dbpool import check_idle_connection


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> Any:
        pool = super().pool  # type: ignore[misc]  # the stubs do not know the pool (Django 5.1+)
        if pool is not None and getattr(pool, "_check", None) is not check_idle_connection:
            pool._check = check_idle_connection  # psycopg_pool reads it on every getconn
        return pool
