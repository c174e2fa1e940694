"""The model loop on a small set: label → snapshot → fine-tune job → promote → pre-label, all real."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotation.models import Item
from inference.models import ModelKind, ModelStatus, ModelVersion, ProjectModel
from inference.prelabel import prelabel_project
from tests.annotation.queue_support import claim, submit
from tests.conftest import make_project
from tests.finetune.conftest import needs_torch
from tests.privacy_integration.support import import_records
from training_export.build import run_build
from training_export.finetune.jobs import run_job
from training_export.finetune_jobs import finetune_job_cancel, finetune_job_create
from training_export.models import FineTuneJob, SnapshotStatus
from training_export.selectors import model_versions_for_snapshot
from training_export.services import snapshot_create
from workforce.access import actor_for

INSTRUCTION = "Is this movie review positive or negative?"


def test_job_api_permissions_and_cancel_before_start(world, snapshot_dir):
    project = make_project(world, vendors=[world.offshore], label_schema={"labels": [{"value": "a"}, {"value": "b"}]})
    import_records(world, project, [{"id": "1", "text": "hello"}])
    lease = claim(world.users["off_annotator"], project)
    submit(world.users["off_annotator"], lease, "a")
    snap = run_build(snapshot_create(actor=actor_for(world.users["ml"]), project=project, enqueue=False).pk)
    body = {"snapshot": snap.pk, "name": "tiny-1", "config": {"max_steps": 1}}
    for user in ("off_annotator", "off_manager", "reviewer", "annotator"):
        assert world.client(user).post("/api/v1/export/finetune-jobs", body, format="json").status_code == 403
    bad = world.client("ml").post("/api/v1/export/finetune-jobs", {**body, "config": {"nope": 1}}, format="json")
    assert bad.status_code == 400 and "nope" in bad.content.decode()
    job = finetune_job_create(actor=actor_for(world.users["ml"]), snapshot_id=snap.pk, name="tiny-1", enqueue=False)
    assert job.labels == ["a", "b"] and job.status == "queued"
    listed = world.client("ml").get("/api/v1/export/finetune-jobs").json()["results"]
    assert [j["name"] for j in listed] == ["tiny-1"]
    assert finetune_job_cancel(actor=actor_for(world.users["ml"]), job_id=job.pk).status == "cancelled"
    assert run_job(job.pk) == "cancelled"  # a cancelled job never starts


@needs_torch
@pytest.mark.slow
@pytest.mark.model
@pytest.mark.timeout(900)
def test_label_snapshot_finetune_promote_prelabel(world, snapshot_dir, tmp_path: Path, settings):
    from bench.textdata import load_labeled

    settings.QUORUM = {**settings.QUORUM, "MODEL_DIR": tmp_path / "models"}
    project = make_project(
        world, vendors=[world.offshore], name="Reviews", instruction=INSTRUCTION,
        label_schema={"labels": [{"value": "positive"}, {"value": "negative"}]},
    )
    texts, labels, _ = load_labeled(34, 0, split="dev")
    truth = {f"r{i}": y for i, y in enumerate(labels)}
    import_records(world, project, [{"id": f"r{i}", "text": t} for i, t in enumerate(texts[:32])])
    annotator = world.users["off_annotator"]
    while (lease := claim(annotator, project)) is not None:  # people label through the queue
        submit(annotator, lease, truth[lease.item.external_id])
    snap = run_build(snapshot_create(actor=actor_for(world.users["ml"]), project=project, enqueue=False).pk)
    assert snap.status == SnapshotStatus.READY and snap.row_count == 32

    job = finetune_job_create(
        actor=actor_for(world.users["ml"]), snapshot_id=snap.pk, name="reviews-ft-1",
        config={"max_steps": 2, "batch_size": 8}, enqueue=False,
    )
    assert run_job(job.pk) == "succeeded"
    job = FineTuneJob.objects.get(pk=job.pk)
    assert (job.step, job.total_steps) == (2, 2) and job.loss is not None and job.result is not None
    version = job.result
    assert (version.kind, version.status) == (ModelKind.FINE_TUNED, ModelStatus.STAGED)
    assert version.metrics["lineage"]["snapshot_id"] == snap.pk
    assert version in model_versions_for_snapshot(snapshot_ids=[snap.pk])

    promoted = world.client("ml").put(f"/api/v1/projects/{project.pk}/model",
                                      {"model_version": version.name}, format="json")
    assert promoted.status_code == 200, promoted.content
    assert ProjectModel.objects.get(project=project).model_version_id == version.pk
    assert ModelVersion.objects.get(pk=version.pk).status == ModelStatus.ACTIVE

    # A data subject's erasure marks the snapshot and the version trained on their item.
    from training_export.services import erase_item

    victim = Item.objects.get(project=project, external_id="r0")
    erasure = erase_item(item=victim, actor=actor_for(world.users["admin"]), reason="GDPR art. 17 request 88")
    assert erasure.affected == {"snapshots": [snap.pk], "model_versions": [version.pk]}
    assert ModelVersion.objects.get(pk=version.pk).metrics["erasures"] == [erasure.pk]

    import_records(world, project, [{"id": f"new{i}", "text": t} for i, t in enumerate(texts[32:34])])
    assert prelabel_project(project_id=project.pk).items == 2
    for item in Item.objects.filter(project=project, external_id__startswith="new"):
        assert item.suggestion["model_version"] == version.name
        assert item.suggestion["labels"][0] in ("positive", "negative")
