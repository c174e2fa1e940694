"""Fault: the inference worker is SIGKILLed in the middle of pre-labeling a project.

What it committed stays (batch by batch); what it had not done is sent again when a worker is back
(start-up recovery on the default queue: the dead run's lock went with its database session) and
pre-labeled by the new worker. No item is lost, none is pre-labeled twice, and no model annotation
is counted twice.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count, Q

from annotation.models import Annotation, AnnotationSource, Item
from inference.models import ModelKind, ModelStatus, PrelabelRun, ProjectModel
from inference.store import register_file
from inference.tasks import prelabel
from tests.conftest import World, make_project, services_env
from tests.inference.conftest import bundled_model, tiny_model  # noqa: F401  (fixtures)

from .faultkit import start_worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ITEMS = 300  # about 6 s of work for the tiny model, 4 items a batch
BATCH = 4  # items a transaction: the dead worker loses at most the batch in hand


def test_inference_worker_killed_mid_run_items_are_requeued_and_labeled_once(
    transactional_db: Any, world: World, tmp_path: Path, settings: Any, tiny_model: Path  # noqa: F811
) -> None:
    models = tmp_path / "models"
    settings.QUORUM = {**settings.QUORUM, "MODEL_DIR": models}
    env = services_env(QUORUM_MODEL_DIR=str(models), QUORUM_INFERENCE_BATCH_ITEMS=str(BATCH),
                       QUORUM_JOB_STALE_SECONDS="1")
    models.mkdir()
    version = register_file(name="tiny-scorer", path=Path(shutil.copy(tiny_model, models / "tiny.F32.gguf")),
                            kind=ModelKind.BASE, quantization="F32", status=ModelStatus.ACTIVE)
    project = make_project(world, vendors=[world.offshore], name="Prelabel faults", overlap=2,
                           instruction="Is the customer happy?",
                           label_schema={"labels": [{"value": "yes"}, {"value": "no"}]})
    ProjectModel.objects.create(project=project, model_version=version, prelabel=True, auto_accept_threshold=0.01)
    Item.objects.bulk_create(
        Item(project=project, external_id=f"p{i}", content_hash=str(i), text_redacted=f"Order {i}: it arrived late.")
        for i in range(ITEMS)
    )
    items = Item.objects.filter(project=project)
    suggested = items.filter(suggestion__isnull=False)

    first = start_worker(env, tmp_path / "worker-1.log", queues=["inference"]).wait_ready()
    second = None
    try:
        prelabel.delay(project.pk)  # what the import hook sends
        wait_for(lambda: suggested.count() >= 3 * BATCH, timeout=90, what="the first batches", interval=0.02)
        first.kill()
        at_kill = suggested.count()
        assert at_kill < ITEMS, "the run finished before the kill: raise ITEMS"
        assert Annotation.objects.filter(item__project=project, source=AnnotationSource.MODEL).count() == at_kill
        assert not PrelabelRun.objects.filter(project=project).exists()

        # The items were made before the first worker started, so they are older than JOB_STALE_SECONDS.
        second = start_worker(env, tmp_path / "worker-2.log", queues=["default", "inference"]).wait_ready()
        wait_for(lambda: suggested.count() == ITEMS and PrelabelRun.objects.filter(project=project).exists(),
                 timeout=120, what="the rest to be pre-labeled by the new worker")
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()

    # The new run did exactly what the dead one had not committed: nothing lost, nothing twice.
    run = PrelabelRun.objects.get(project=project)
    assert run.items == ITEMS - at_kill
    model_answers = Annotation.objects.filter(item__project=project, source=AnnotationSource.MODEL)
    assert model_answers.count() == ITEMS
    assert not items.annotate(n=Count("annotations", filter=Q(annotations__source="model"))).filter(n__gt=1).exists()
    assert not items.exclude(annotation_count=1).exists()
    assert all(s["model_version"] == "tiny-scorer" for s in items.values_list("suggestion", flat=True))
