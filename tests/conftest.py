"""Shared fixtures: an organization with two vendors and a user for every role, API clients."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotation.models import Project
from annotation.services import project_create
from workforce.access import actor_for
from workforce.models import Clearance, Organization, Role, User, Vendor
from workforce.services import user_create

PASSWORD = "test-pass-123"


@dataclass
class World:
    org: Organization
    offshore: Vendor
    onshore: Vendor
    users: dict[str, User]
    other_org: Organization
    stranger: User

    def client(self, username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(self.users[username] if username != "stranger" else self.stranger)
        return client


ROLES: list[tuple[str, str, str | None]] = [
    ("admin", Role.ADMIN, None),
    ("ml", Role.ML_ENGINEER, None),
    ("reviewer", Role.REVIEWER, None),
    ("annotator", Role.ANNOTATOR, None),
    ("off_manager", Role.VENDOR_MANAGER, "offshore"),
    ("off_annotator", Role.ANNOTATOR, "offshore"),
    ("off_annotator2", Role.ANNOTATOR, "offshore"),
    ("off_reviewer", Role.REVIEWER, "offshore"),
    ("on_manager", Role.VENDOR_MANAGER, "onshore"),
    ("on_annotator", Role.ANNOTATOR, "onshore"),
]


def make_world() -> World:
    from django.db import connection

    with connection.cursor() as cur:  # a connection opened before the test database existed would
        cur.execute("SELECT current_database()" if connection.vendor == "postgresql" else "SELECT 'test_'")
        name = cur.fetchone()[0]  # point at the real one: refuse rather than truncate it
    assert name.startswith("test_"), f"tests must run on a test database, not {name!r}"
    from privacy.canaries import tripwire

    tripwire.scan("load the canary pattern now, not inside a test's counted queries")
    org = Organization.objects.create(name="Org", slug="org")
    offshore = Vendor.objects.create(
        organization=org, name="Offshore", country="PH", clearance=Clearance.RESTRICTED,
        rate_per_task=Decimal("0.05"), rate_per_hour=Decimal("6"),
    )
    onshore = Vendor.objects.create(
        organization=org, name="Onshore", country="US", clearance=Clearance.STANDARD,
        rate_per_task=Decimal("0.10"), rate_per_hour=Decimal("20"),
    )
    vendors = {"offshore": offshore, "onshore": onshore}
    users = {
        name: user_create(
            organization=org, username=name, password=PASSWORD, role=role,
            vendor=vendors[v] if v else None,
        )
        for name, role, v in ROLES
    }
    other_org = Organization.objects.create(name="Other", slug="other")
    stranger = user_create(organization=other_org, username="stranger", password=PASSWORD, role=Role.ADMIN)
    return World(org, offshore, onshore, users, other_org, stranger)


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


def make_project(world: World, *, vendors: list[Vendor] | None = None, **kwargs: Any) -> Project:
    defaults: dict[str, Any] = {
        "name": "Intent",
        "kind": "single_label",
        "label_schema": {"labels": [{"value": "billing"}, {"value": "technical"}, {"value": "other"}]},
    }
    defaults.update(kwargs)
    return project_create(actor=actor_for(world.users["admin"]), vendors=vendors, **defaults)


def content(project: Project | int, external_id: str, text: str, redacted: str | None = None) -> dict[str, Any]:
    """Item content columns for a test item: ``text`` sealed as raw; both stored views are ``redacted``
    when given (tests of the serving paths choose what is shown), else computed by the privacy engine."""
    from annotation.items import content_fields
    from privacy.content import seal_text

    project_id = project if isinstance(project, int) else project.pk
    if redacted is None:
        return content_fields(project_id=project_id, external_id=external_id, text=text)
    return {
        "text_sealed": seal_text(text, project_id=project_id, external_id=external_id),
        "text_redacted": redacted,
        "text_pseudonymized": redacted,
    }


@pytest.fixture
def project(world: World) -> Project:
    return make_project(world, vendors=[world.offshore])


ROOT = Path(__file__).resolve().parents[1]


def services_env(**extra: str) -> dict[str, str]:
    """Environment for a subprocess (server, worker) that must use this run's test database."""
    from django.db import connection

    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL=url)
    env.update(extra)
    return env


@pytest.fixture
def celery_worker(transactional_db: Any, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on every queue, against this run's database and Redis."""
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,inference,training",
             "--pool=solo", "--loglevel=INFO", "-n", f"test-{os.getpid()}@%h", "--without-heartbeat",
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=services_env(), stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"celery worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        from django.db import connections

        connections.close_all()
