"""Fine-tuning jobs as the ML engineer drives them: create from a snapshot, cancel, list.

The run itself is ``finetune/jobs.py`` on the Celery ``training`` queue; progress reaches the ML
page over Channels (``ws/finetune/<id>/``) and the job row (step, loss, ETA, heartbeat).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from inference.models import ModelStatus, ModelVersion
from workforce.access import AccessDenied, Actor

from .finetune.jobs import request_cancel
from .finetune.trainer import FineTuneConfig
from .models import FineTuneJob, Snapshot, SnapshotStatus
from .selectors import check_export, snapshot_get
from .tasks import finetune_run, send_after_commit


def finetune_jobs_visible(actor: Actor) -> QuerySet[FineTuneJob]:
    check_export(actor)
    return FineTuneJob.objects.filter(organization_id=actor.organization_id).select_related("result").order_by("-id")


def finetune_job_create(
    *,
    actor: Actor,
    snapshot_id: int,
    name: str,
    parent: str | None = None,
    instruction: str | None = None,
    config: dict[str, Any] | None = None,
    auto_promote_margin: float | None = None,
    enqueue: bool = True,
) -> FineTuneJob:
    """Queue a fine-tune of ``parent`` (default: the serving base) on a ready snapshot."""
    check_export(actor)
    snapshot: Snapshot = snapshot_get(actor, snapshot_id)
    if snapshot.status != SnapshotStatus.READY:
        raise ValueError("the snapshot is not ready")
    if snapshot.format not in ("jsonl",):
        raise ValueError("fine-tuning reads JSONL snapshots")
    if ModelVersion.objects.filter(name=name).exists() or FineTuneJob.objects.filter(name=name).exists():
        raise ValueError(f"the name {name!r} is taken")
    unknown = set(config or {}) - set(FineTuneConfig.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown config key {sorted(unknown)[0]!r}")
    parent_version = None
    if parent:
        parent_version = ModelVersion.objects.filter(name=parent).exclude(status=ModelStatus.RETIRED).first()
        if parent_version is None:
            raise ValueError(f"no usable model version {parent!r}")
    project = snapshot.project
    labels = [str(label["value"]) for label in project.label_schema.get("labels", [])]
    with transaction.atomic():
        job = FineTuneJob.objects.create(
            organization_id=actor.organization_id, name=name, snapshot=snapshot, parent=parent_version,
            project=project, labels=labels, instruction=instruction or project.instruction or "Classify the text.",
            config=config or {}, auto_promote_margin=auto_promote_margin, created_by=actor.user,
        )
        if enqueue:
            send_after_commit(finetune_run, job.pk, "fine-tune job")
    return job


def finetune_job_cancel(*, actor: Actor, job_id: int) -> FineTuneJob:
    job = finetune_jobs_visible(actor).filter(pk=job_id).first()
    if job is None:
        raise AccessDenied("No such job.")
    request_cancel(job_id=job.pk)
    job.refresh_from_db()
    return job
