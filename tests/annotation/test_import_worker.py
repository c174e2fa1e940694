"""An import uploaded through the REST API runs on a real Celery worker over Redis."""

from __future__ import annotations

import time

import pytest

from annotation.models import ImportJob, ImportStatus, Item


def _wait(job_id: int, seconds: float = 60) -> ImportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            return job
        time.sleep(0.2)
    raise AssertionError(f"import {job_id} still {job.status}")


@pytest.mark.slow
def test_api_upload_is_imported_by_the_worker(celery_worker, world, project, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text("".join(f'{{"id": "w{i}", "text": "item {i}"}}\n' for i in range(500)))
    client = world.client("ml")
    with open(good, "rb") as fh:
        response = client.post(f"/api/v1/projects/{project.pk}/imports", {"file": fh})
    assert response.status_code == 202, response.content
    job = _wait(response.json()["id"])
    assert (job.status, job.created_count) == (ImportStatus.SUCCEEDED, 500)
    assert Item.objects.filter(project=project).count() == 500
    body = client.get(f"/api/v1/imports/{job.pk}").json()
    assert body["status"] == "succeeded" and body["rows_seen"] == 500

    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,text,label\nx1,hello,billing\nx2,bye,unknown\n")
    with open(bad, "rb") as fh:
        response = client.post(f"/api/v1/projects/{project.pk}/imports", {"file": fh})
    job = _wait(response.json()["id"])
    assert job.status == ImportStatus.FAILED
    assert job.errors == [{"line": 3, "field": "label", "message": "unknown label 'unknown'"}]
    assert Item.objects.filter(project=project).count() == 500


@pytest.mark.slow
def test_a_job_left_running_by_a_dead_worker_is_resumed(celery_worker, world, project, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from annotation.services import import_create
    from annotation.tasks import recover_imports
    from workforce.access import actor_for

    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "r1", "text": "x"}\n')
    job = import_create(actor=actor_for(world.users["ml"]), project=project, filename="a.jsonl", path=path,
                        enqueue=False)
    # As if a worker took it and died: running, heartbeat long gone, no message in the broker.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1), attempts=1
    )
    recover_imports.delay()
    job = _wait(job.pk)
    assert job.status == ImportStatus.SUCCEEDED and job.attempts == 2
    assert Item.objects.filter(project=project, external_id="r1").exists()
