"""Runtime plumbing: /healthz, the OpenAPI schema, the error format, deploy checks, compose.yaml."""

from __future__ import annotations

import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_mode_database_and_broker(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "mode": "services", "database": "ok", "broker": "ok"}


def test_openapi_schema_and_docs_are_served(world):
    client = world.client("admin")
    schema = client.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/projects", "/api/v1/projects/{project_id}/imports", "/api/v1/tokens", "/api/v1/items"):
        assert path in paths
    assert client.get("/api/v1/docs").status_code == 200


def test_one_error_format(world, project):
    anonymous = Client().get("/api/v1/projects")
    assert anonymous.status_code in (401, 403)
    assert set(anonymous.json()["error"]) == {"code", "message", "details"}
    missing = world.client("admin").get("/api/v1/projects/999999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    invalid = world.client("admin").post(
        "/api/v1/projects", {"name": "x", "kind": "single_label", "label_schema": {"labels": []}}, format="json"
    )
    assert invalid.status_code == 400
    assert invalid.json()["error"]["details"] == [
        {"field": "label_schema", "message": "label_schema.labels: must be a non-empty list"}
    ]


def test_pages_require_login(db):
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_production_settings_pass_deploy_checks():
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        QUORUM_SECRET_KEY="a-long-random-production-secret-" + "k" * 40,
        QUORUM_VAR_DIR=str(ROOT / "var" / "deploy-check"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_embedded_mode_needs_no_server(tmp_path):
    """With no DATABASE_URL/REDIS_URL: SQLite in WAL mode, filesystem broker, in-process layer."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", QUORUM_VAR_DIR=str(tmp_path))
    script = (
        "import django, json; django.setup();"
        "from django.conf import settings; from django.db import connection;"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); "
        "print(json.dumps([settings.QUORUM['MODE'], c.fetchone()[0], settings.CELERY_BROKER_URL,"
        " settings.CHANNEL_LAYERS['default']['BACKEND']]))"
    )
    out = subprocess.run([sys.executable, "-c", script], check=False, cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    mode, journal, broker, layer = yaml.safe_load(out.stdout.strip().splitlines()[-1])
    assert (mode, journal, broker) == ("embedded", "wal", "filesystem://")
    assert layer == "channels.layers.InMemoryChannelLayer"
    assert (tmp_path / "quorum.sqlite3").exists()


def _check_command(command: list[str]) -> None:
    """Every program and module a compose command names must exist in the project."""
    if command[0] == "uvicorn":
        module, attr = command[1].split(":")
        assert hasattr(importlib.import_module(module), attr), command
    elif command[0] == "celery":
        app_module = command[command.index("-A") + 1]
        assert importlib.import_module(app_module).celery_app is not None
        if "-Q" in command:
            from django.conf import settings

            queues = command[command.index("-Q") + 1].split(",")
            assert set(queues) <= set(settings.CELERY_TASK_QUEUES_NAMES), command
    elif command[0] == "python":
        assert command[1] == "manage.py" and (ROOT / "manage.py").exists()
        from django.core.management import get_commands

        assert command[2] in get_commands(), command
    else:
        pytest.fail(f"unknown program in compose.yaml: {command}")


def test_compose_names_only_things_that_exist():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    expected = {"postgres", "redis", "web", "worker-default", "worker-inference", "worker-training", "beat"}
    assert expected <= set(services)
    for name, service in services.items():
        assert "healthcheck" in service or name in ("beat", "migrate"), f"{name} has no healthcheck"
        if "build" in service:
            _check_command(service["command"])
        for dep in service.get("depends_on", {}):
            assert dep in services
    dockerfile = (ROOT / "Dockerfile").read_text()
    for src in re.findall(r"^COPY (\S+)", dockerfile, flags=re.M):
        assert (ROOT / src).exists(), f"Dockerfile copies missing {src}"
    cmd = re.search(r"^CMD (.+)$", dockerfile, flags=re.M)
    assert cmd is not None
    _check_command(yaml.safe_load(cmd.group(1)))
    health = services["web"]["healthcheck"]["test"][-1]
    assert "/healthz" in health and shlex.split(health)


def test_asgi_application_serves_http_and_websockets():
    asgi = importlib.import_module("config.asgi")
    assert set(asgi.application.application_mapping) == {"http", "websocket"}
