"""Fault: the Celery worker running a fine-tuning job is SIGKILLed after its first checkpoint.

Nothing from the half-run is visible (no model version, no GGUF under its final name); once a
worker is back, the stale job is re-queued (heartbeat gone silent) and resumes from the checkpoint
to a staged version, with one loss curve and no step counted twice.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from annotation.models import ItemState
from inference.models import ModelKind, ModelStatus, ModelVersion
from inference.store import register_file, verified_path
from tests.conftest import World, make_project, services_env
from tests.finetune.conftest import bundled_model, needs_torch, tiny_gguf  # noqa: F401  (fixtures)
from tests.training_export.conftest import add_item, answer
from training_export.build import run_build
from training_export.finetune.jobs import workdir_for
from training_export.finetune.trainer import CHECKPOINT
from training_export.finetune_jobs import finetune_job_create
from training_export.models import FineTuneJob
from training_export.services import snapshot_create
from workforce.access import actor_for

from .faultkit import start_worker, wait_for

pytestmark = [needs_torch, pytest.mark.slow, pytest.mark.timeout(300)]

STEPS = 8  # one epoch: 32 items, 4 a step (about 0.2 s a step on the tiny model)
TEXTS = [("I love it, thank you so much", "yes"), ("This is broken and I want a refund", "no"),
         ("Great service, very happy", "yes"), ("Worst purchase ever, awful", "no")]


def test_worker_killed_mid_finetune_resumes_from_its_checkpoint(
    transactional_db: Any, world: World, tmp_path: Path, settings: Any, tiny_gguf: Path  # noqa: F811
) -> None:
    models, snapshots = tmp_path / "models", tmp_path / "snapshots"
    settings.QUORUM = {**settings.QUORUM, "MODEL_DIR": models, "SNAPSHOT_DIR": snapshots}
    env = services_env(QUORUM_MODEL_DIR=str(models), QUORUM_SNAPSHOT_DIR=str(snapshots),
                       QUORUM_JOB_HEARTBEAT_SECONDS="0.5", QUORUM_JOB_STALE_SECONDS="3")
    # The parent: the tiny random Llama of the runtime tests, registered like a fine-tuned version.
    (models / "parents").mkdir(parents=True)
    parent_file = shutil.copy(tiny_gguf, models / "parents" / "tiny.F32.gguf")
    root = register_file(name="tiny-root", path=Path(parent_file), kind=ModelKind.BASE, quantization="F32",
                         status=ModelStatus.ACTIVE)
    parent = register_file(name="tiny-parent", path=Path(parent_file), kind=ModelKind.FINE_TUNED, quantization="F32",
                           parent=root, labels=["yes", "no"], status=ModelStatus.ACTIVE)
    project = make_project(world, vendors=[world.offshore], name="Happy?", instruction="Is the customer happy?",
                           label_schema={"labels": [{"value": "yes"}, {"value": "no"}]})
    for i in range(32):
        text, label = TEXTS[i % len(TEXTS)]
        item = add_item(project, f"h{i}", f"{text} ({i})")
        item.state = ItemState.DONE
        item.save(update_fields=["state"])
        answer(item, world.users["off_annotator"], [label])
    ml = actor_for(world.users["ml"])
    snap = run_build(snapshot_create(actor=ml, project=project, split={"train": 1.0}, enqueue=False).pk)

    first = start_worker(env, tmp_path / "worker-1.log", queues=["training"]).wait_ready()
    second = None
    try:
        job = finetune_job_create(  # sent to the training queue after commit
            actor=ml, snapshot_id=snap.pk, name="happy-ft-1", parent="tiny-parent",
            config={"max_steps": STEPS, "batch_size": 4, "checkpoint_every": 2, "learning_rate": 0.01,
                    "lora_dropout": 0.0, "warmup_steps": 1, "threads": 1},
        )
        checkpoint = workdir_for(job.pk) / CHECKPOINT
        wait_for(lambda: checkpoint.is_file() and FineTuneJob.objects.get(pk=job.pk).step >= 3,
                 timeout=150, what="the first checkpoint", interval=0.05)
        first.kill()

        killed = FineTuneJob.objects.get(pk=job.pk)
        assert killed.status == "running" and 3 <= killed.step < STEPS, (killed.status, killed.step)
        assert not ModelVersion.objects.filter(name="happy-ft-1").exists()
        out_dir = models / "finetuned" / "happy-ft-1"
        assert not list(out_dir.rglob("*.gguf"))  # a .gguf.part at most, never a final name
        assert killed.result_id is None

        # The heartbeat goes silent; a worker that starts after that re-queues the job (start-up
        # recovery on the default queue) and runs it on the training queue from the checkpoint.
        wait_for(lambda: (timezone.now() - FineTuneJob.objects.get(pk=job.pk).heartbeat_at).total_seconds() > 3.5,
                 timeout=30, what="the dead job's heartbeat to go stale")
        second = start_worker(env, tmp_path / "worker-2.log", queues=["default", "training"]).wait_ready()
        done = wait_for(
            lambda: FineTuneJob.objects.filter(pk=job.pk, status__in=["succeeded", "failed", "cancelled"]).first(),
            timeout=180, what="the resumed job to finish",
        )
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()

    assert done.status == "succeeded", done.error
    assert (done.step, done.total_steps) == (STEPS, STEPS)
    steps = [int(s) for s, _ in done.loss_history]
    assert steps == list(range(1, STEPS + 1))  # one curve: the dead run's unsaved steps are not counted twice
    version = done.result
    assert version is not None and (version.name, version.status) == ("happy-ft-1", ModelStatus.STAGED)
    assert version.metrics["train"]["resumed_from"] >= 2  # it resumed, it did not start over
    assert verified_path(version).is_file()
    assert ModelVersion.objects.filter(produced_by_job=f"finetune:{job.pk}").count() == 1
    assert not checkpoint.exists()
    assert parent.pk == version.parent_id
