"""GET /healthz: mode, database and broker reachability, as JSON.

The errors say which service is unreachable and the exception's type, never an address or a
stack trace (the endpoint is public). 503 while either is down, so a load balancer stops sending.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse


def _database() -> str:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        return "ok"
    except Exception as e:  # report, never raise: this is the health endpoint
        return f"error: the database is unreachable ({type(e).__name__})"


def _broker() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        return "ok" if folder.is_dir() else "error: the broker folder is missing"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except Exception as e:
        name = type(e).__name__
        return f"error: the broker (Redis) is unreachable ({name}); jobs are recorded and sent when it is back"


def healthz(request: HttpRequest) -> JsonResponse:
    database, broker = _database(), _broker()
    healthy = database == "ok" and broker == "ok"
    return JsonResponse(
        {
            "status": "ok" if healthy else "degraded",
            "mode": settings.QUORUM["MODE"],
            "database": database,
            "broker": broker,
        },
        status=200 if healthy else 503,
    )
