"""Fault: Redis (broker, cache, channel layer) goes away under a running web server.

A private redis-server serves one uvicorn process; the test stops it. /healthz says degraded with a
broker error; pages and API calls that need no broker keep working; a snapshot requested meanwhile
is recorded, and built by a worker once Redis is back.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from annotation.models import Annotation, ImportJob, ImportStatus, Item
from tests.conftest import World, content, make_project, services_env
from training_export.models import Snapshot, SnapshotStatus
from workforce.access import actor_for
from workforce.services import token_create

from .faultkit import PrivateRedis, start_server, start_worker, tail, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _token(world: World, user: str, scopes: list[str]) -> str:
    return token_create(actor=actor_for(world.users[user]), name="fault", scopes=scopes, expires_in_days=1)[1]


def test_redis_down_degrades_health_keeps_the_api_and_runs_jobs_when_back(
    transactional_db: Any, world: World, tmp_path: Path, settings: Any
) -> None:
    root = tmp_path / "snapshots"
    settings.QUORUM = {**settings.QUORUM, "SNAPSHOT_DIR": root}
    project = make_project(world, vendors=[world.offshore], name="Redis faults")
    for i in range(3):
        Item.objects.create(project=project, external_id=f"r{i}", content_hash=str(i),
                            **content(project, f"r{i}", f"ticket {i}", f"ticket {i}"))
    annotator, ml = _token(world, "off_annotator", ["read", "write"]), _token(world, "ml", ["read", "export"])

    redis = PrivateRedis(tmp_path / "redis").start()
    env = services_env(REDIS_URL=redis.url(), QUORUM_BROKER_PREFIX=f"fault-{time.monotonic_ns()}:",
                       QUORUM_SNAPSHOT_DIR=str(root), QUORUM_JOB_STALE_SECONDS="2")
    server = worker = None
    try:
        server = start_server(env, tmp_path / "server.log")
        status, _, body = server.request("GET", "/healthz")
        assert status == 200 and json.loads(body)["broker"] == "ok", body

        redis.stop()

        status, _, body = server.request("GET", "/healthz", timeout=15)
        health = json.loads(body)
        assert status == 503 and health["status"] == "degraded" and health["database"] == "ok", body
        assert health["broker"].startswith("error") and "broker" in health["broker"], health

        # What needs only PostgreSQL keeps working: pages, reads, the annotation loop.
        assert server.request("GET", "/login/")[0] == 200
        status, _, body = server.request("GET", "/api/v1/projects", token=annotator, timeout=15)
        assert status == 200, body[:500]
        status, _, body = server.request("POST", f"/api/v1/projects/{project.pk}/claim", token=annotator, timeout=15)
        assert status == 200, body[:500]
        lease = json.loads(body)["lease"]
        status, _, body = server.request("POST", f"/api/v1/leases/{lease['id']}/submit",
                                         {"labels": ["billing"], "client_key": "redis-down-1"}, token=annotator,
                                         timeout=15)
        assert status in (200, 201), body[:500]
        assert Annotation.objects.filter(item_id=lease["item"]["id"], client_key="redis-down-1").exists()

        # A job asked for while the broker is down is recorded, not lost and not a 500.
        started = time.monotonic()
        status, _, body = server.request("POST", "/api/v1/export/snapshots", {"project": project.pk, "format": "jsonl"},
                                         token=ml, timeout=30)
        assert status == 202, body[:500]
        assert time.monotonic() - started < 15, "the request waited on the missing broker"
        snap_id = json.loads(body)["id"]
        assert Snapshot.objects.get(pk=snap_id).status == SnapshotStatus.QUEUED

        # An import uploaded meanwhile is recorded too (recover_imports sends it once Redis is back).
        admin = _token(world, "admin", ["read", "write", "import"])
        status, body = server.upload(f"/api/v1/projects/{project.pk}/imports", "more.jsonl",
                                     b'{"id": "late-1", "text": "hello"}\n', token=admin)
        assert status == 202, body[:500]
        assert ImportJob.objects.get(pk=json.loads(body)["id"]).status == ImportStatus.QUEUED

        redis.start()  # the same port: the server's clients reconnect by themselves
        wait_for(lambda: server.request("GET", "/healthz")[0] == 200, timeout=30, what="healthz to recover")
        worker = start_worker(env, tmp_path / "worker.log", queues=["default"]).wait_ready()
        snap = wait_for(lambda: Snapshot.objects.filter(pk=snap_id, status__in=["ready", "failed"]).first(),
                        timeout=60, what=f"the recorded snapshot to be built; worker log:\n{tail(worker.log)}")
        assert snap.status == SnapshotStatus.READY and snap.row_count == 1, snap.error
        server_log = tail(server.log, 20000)
        assert "Internal Server Error" not in server_log, server_log
    finally:
        for proc in (worker, server):
            if proc is not None:
                proc.stop()
        redis.stop()
