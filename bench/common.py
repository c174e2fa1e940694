"""Bench plumbing: a dedicated PostgreSQL database, Django set up against it, memory readings."""

from __future__ import annotations

import os
import resource
from urllib.parse import urlparse

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/quorum_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


def setup_django(database_url: str | None = None) -> str:
    """Point Django at the bench database (created and migrated if needed) in services mode."""
    url = database_url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    _ensure_database(url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return url


def _ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
