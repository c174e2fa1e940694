"""A guard: quality tests refuse to run against anything but a test database."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _test_database_only(request: Any) -> None:
    if not {"db", "transactional_db", "world"} & set(request.fixturenames) and not request.node.get_closest_marker(
        "django_db"
    ):
        return
    request.getfixturevalue("transactional_db" if _transactional(request) else "db")
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT current_database()") if connection.vendor == "postgresql" else cur.execute("SELECT 'test_'")
        name = str(cur.fetchone()[0])
    assert name.startswith("test_"), f"refusing to run against database {name!r}"


def _transactional(request: Any) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


@pytest.fixture(autouse=True)
def _fold_on_kick(monkeypatch: Any) -> None:
    """The after-commit kick folds right away instead of queueing a Celery task (no worker here),
    and every kick fires (no once-a-second throttle), so tests see agreement as soon as work commits."""
    from quality import tasks

    def fold_now() -> None:
        while tasks.agreement_fold():
            pass

    monkeypatch.setattr(tasks, "KICK_INTERVAL", 0.0)
    monkeypatch.setattr(tasks.fold_agreement, "delay", fold_now)
