"""Celery tasks for exports: thin, take ids, idempotent (a ready snapshot is left as it is)."""

from __future__ import annotations

from celery import shared_task

from .build import run_build
from .finetune.tasks import finetune_run  # registered as training_export.tasks.finetune_run (training queue)


@shared_task(acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def build_snapshot(snapshot_id: int) -> str:
    """Build one snapshot on the ``default`` queue. A worker lost mid-build leaves the row
    ``building`` and only a ``.part`` file; the redelivered message builds it again from scratch."""
    return str(run_build(snapshot_id).status)


__all__ = ["build_snapshot", "finetune_run"]
