"""The recovery passes the fault tests rely on, case by case (fast: no worker; a second real session
holds run locks the way a live worker's does)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from annotation.models import Item
from inference.models import ModelKind, ModelVersion, ProjectModel
from inference.prelabel import prelabel_pending_recover, prelabel_project
from inference.runlocks import KINDS, is_running, run_lock
from tests.conftest import World, make_project
from training_export.build import run_build
from training_export.finetune.jobs import run_job
from training_export.models import FineTuneJob, Snapshot, SnapshotStatus
from training_export.recovery import export_jobs_recover

from .faultkit import wait_for


@pytest.fixture
def other_session(db: Any) -> Iterator[psycopg.Connection[Any]]:
    """A second PostgreSQL session on the test database: a live worker, as far as locks go."""
    s = connection.settings_dict
    conn = psycopg.connect(host=s["HOST"] or "127.0.0.1", port=int(s["PORT"] or 5432), user=s["USER"] or "postgres",
                           dbname=s["NAME"], autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def hold(conn: psycopg.Connection[Any], kind: str, key: int) -> None:
    conn.execute("SELECT pg_advisory_lock(%s, %s)", [KINDS[kind], key])


def _snapshot(world: World, project: Any, status: str, age_s: float = 0) -> Snapshot:
    done = {"sha256": "0" * 64, "file_name": "00/x.jsonl"} if status == SnapshotStatus.READY else {}
    snap = Snapshot.objects.create(organization=world.org, project=project, status=status, **done)
    Snapshot.objects.filter(pk=snap.pk).update(created_at=timezone.now() - timedelta(seconds=age_s))
    return snap


def _job(world: World, project: Any, name: str, status: str, heartbeat_age_s: float | None, **kw: Any) -> FineTuneJob:
    snap = _snapshot(world, project, SnapshotStatus.READY)
    beat = None if heartbeat_age_s is None else timezone.now() - timedelta(seconds=heartbeat_age_s)
    job = FineTuneJob.objects.create(organization=world.org, name=name, snapshot=snap, project=project,
                                     status=status, heartbeat_at=beat, **kw)
    FineTuneJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    return job


def test_run_locks_tell_live_runs_from_dead_ones(other_session: psycopg.Connection[Any]) -> None:
    assert not is_running("snapshot", 7)
    hold(other_session, "snapshot", 7)
    assert is_running("snapshot", 7) and not is_running("prelabel", 7) and not is_running("snapshot", 8)
    with run_lock("snapshot", 7) as mine:
        assert not mine
    other_session.close()  # the "worker" dies: its session, and its lock, go (as its backend exits)
    wait_for(lambda: not is_running("snapshot", 7), timeout=10, what="the dead session's lock to go")
    with run_lock("snapshot", 7) as mine:
        assert mine
    assert not is_running("snapshot", 7)  # released on exit (the connection may go back to a pool)


def test_export_recovery_resends_dead_and_unsent_jobs_only(
    world: World, project: Any, other_session: psycopg.Connection[Any], settings: Any
) -> None:
    settings.QUORUM = {**settings.QUORUM, "JOB_STALE_SECONDS": 60}
    dead = _snapshot(world, project, SnapshotStatus.BUILDING)
    live = _snapshot(world, project, SnapshotStatus.BUILDING)
    hold(other_session, "snapshot", live.pk)
    unsent = _snapshot(world, project, SnapshotStatus.QUEUED, age_s=120)
    _snapshot(world, project, SnapshotStatus.QUEUED, age_s=5)  # its message is surely on its way
    stale = _job(world, project, "stale", "running", heartbeat_age_s=300)
    _job(world, project, "alive", "running", heartbeat_age_s=5)
    cancel = _job(world, project, "cancel", "running", heartbeat_age_s=300, cancel_requested=True)
    waiting = _job(world, project, "waiting", "queued", heartbeat_age_s=None)
    _job(world, project, "done", "succeeded", heartbeat_age_s=300)

    sent: dict[str, list[int]] = {"snapshot": [], "finetune": []}
    out = export_jobs_recover(send_snapshot=sent["snapshot"].append, send_finetune=sent["finetune"].append)
    assert sorted(sent["snapshot"]) == sorted([dead.pk, unsent.pk])
    assert sorted(sent["finetune"]) == sorted([stale.pk, waiting.pk])
    assert out.finetunes_cancelled == [cancel.pk]
    assert Snapshot.objects.get(pk=dead.pk).status == SnapshotStatus.QUEUED
    assert Snapshot.objects.get(pk=live.pk).status == SnapshotStatus.BUILDING
    assert dict(FineTuneJob.objects.values_list("name", "status")) == {
        "stale": "queued", "alive": "running", "cancel": "cancelled", "waiting": "queued", "done": "succeeded"}

    # Right after: the fine-tunes just sent wait a stale period before being sent again.
    again: list[int] = []
    export_jobs_recover(send_snapshot=lambda pk: None, send_finetune=again.append)
    assert again == []


def test_a_job_whose_worker_keeps_dying_is_failed_not_requeued_forever(
    world: World, project: Any, settings: Any
) -> None:
    """Each run that starts counts an attempt (``claim``); a dead run at the limit fails with a reason."""
    from training_export.finetune.jobs import claim

    settings.QUORUM = {**settings.QUORUM, "JOB_STALE_SECONDS": 60, "JOB_MAX_ATTEMPTS": 3}
    job = _job(world, project, "oom", "queued", heartbeat_age_s=None)
    for attempt in (1, 2, 3):
        assert claim(job.pk)  # a worker takes it...
        assert FineTuneJob.objects.get(pk=job.pk).attempts == attempt
        FineTuneJob.objects.filter(pk=job.pk).update(  # ...and dies at step 7
            heartbeat_at=timezone.now() - timedelta(seconds=300), step=7
        )
        sent: list[int] = []
        out = export_jobs_recover(send_snapshot=lambda pk: None, send_finetune=sent.append)
        if attempt < 3:
            assert sent == [job.pk] and FineTuneJob.objects.get(pk=job.pk).status == "queued"
    assert sent == [] and out.finetunes_failed == [job.pk]
    failed = FineTuneJob.objects.get(pk=job.pk)
    assert failed.status == "failed" and failed.finished_at is not None
    assert "died during each of 3 runs" in failed.error and "step 7" in failed.error
    assert not claim(job.pk)  # a late redelivery does not start it again


def test_a_broker_still_down_leaves_the_rows_for_the_next_pass(world: World, project: Any) -> None:
    snap = _snapshot(world, project, SnapshotStatus.BUILDING)

    def down(pk: int) -> None:
        raise ConnectionError("broker down")

    out = export_jobs_recover(send_snapshot=down, send_finetune=down)  # logged, not raised
    assert out.snapshots_interrupted == [snap.pk]
    Snapshot.objects.filter(pk=snap.pk).update(created_at=timezone.now() - timedelta(hours=1))
    sent: list[int] = []
    export_jobs_recover(send_snapshot=sent.append, send_finetune=down)
    assert sent == [snap.pk]  # queued now, and old: the next pass sends it


def test_a_second_delivery_never_runs_a_job_twice_at_once(
    world: World, project: Any, other_session: psycopg.Connection[Any]
) -> None:
    job = _job(world, project, "busy", "running", heartbeat_age_s=1)
    assert run_job(job.pk) == "running"  # a live worker has it: this delivery does nothing
    assert FineTuneJob.objects.get(pk=job.pk).heartbeat_at == job.heartbeat_at
    snap = _snapshot(world, project, SnapshotStatus.BUILDING)
    hold(other_session, "snapshot", snap.pk)
    assert run_build(snap.pk).status == SnapshotStatus.BUILDING  # the live build keeps it
    assert Snapshot.objects.get(pk=snap.pk).started_at is None


def test_prelabel_recovery_sends_projects_left_pending_without_a_live_run(
    world: World, other_session: psycopg.Connection[Any], settings: Any
) -> None:
    settings.QUORUM = {**settings.QUORUM, "JOB_STALE_SECONDS": 60}
    version = ModelVersion.objects.create(name="v", kind=ModelKind.BASE, gguf_path="v.gguf", quantization="F32",
                                          sha256="0")
    projects = [make_project(world, name=f"P{i}") for i in range(4)]
    for p in projects:
        ProjectModel.objects.create(project=p, model_version=version)
        Item.objects.create(project=p, external_id="a", content_hash="a", text_redacted="a")
    Item.objects.filter(project__in=projects[:3]).update(created_at=timezone.now() - timedelta(minutes=5))
    Item.objects.filter(project=projects[1]).update(suggestion={"labels": ["billing"]})  # done already
    hold(other_session, "prelabel", projects[2].pk)  # a live run has it
    # projects[3]: its items are new; the import hook's own message is on its way.
    sent: list[int] = []
    assert prelabel_pending_recover(send=sent.append).projects == [projects[0].pk] == sent
    assert prelabel_project(project_id=projects[2].pk).items == 0  # the live run does them, not this one


def test_beat_and_routes_run_the_recovery_passes() -> None:
    from config.celery import app

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"training_export.tasks.recover_jobs", "inference.tasks.recover_prelabel"} <= tasks
    for name in ("training_export.tasks.recover_jobs", "inference.tasks.recover_prelabel"):
        assert app.amqp.router.route({}, name)["queue"].name == "default"  # never behind a long job
    assert app.amqp.router.route({}, "inference.tasks.prelabel")["queue"].name == "inference"
