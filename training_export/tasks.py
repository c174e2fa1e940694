"""Celery tasks for exports: thin, take ids, idempotent (a ready snapshot is left as it is)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from .build import run_build
from .finetune.tasks import finetune_run  # registered as training_export.tasks.finetune_run (training queue)

log = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def build_snapshot(snapshot_id: int) -> str:
    """Build one snapshot on the ``default`` queue. A worker lost mid-build leaves the row
    ``building`` and only a ``.part`` file; ``recover_jobs`` sends it again and it is rebuilt from scratch."""
    return str(run_build(snapshot_id).status)


def send_after_commit(task: Any, job_id: int, what: str) -> None:
    """Send ``task(job_id)`` once the surrounding transaction commits. The row is already saved, so
    a broker that is down is logged, not raised into the request: ``recover_jobs`` sends the job
    when the broker is back."""

    def send() -> None:
        try:
            task.delay(job_id)
        except Exception:
            log.warning("broker unavailable: %s %s stays queued until recover_jobs sends it", what, job_id,
                        exc_info=True)

    from django.db import transaction

    transaction.on_commit(send)


@shared_task(ignore_result=True, time_limit=300)
def recover_jobs() -> int:
    """Re-send snapshots and fine-tunes whose worker died or whose message was lost. Beat runs it."""
    from .recovery import export_jobs_recover

    return export_jobs_recover(send_snapshot=build_snapshot.delay, send_finetune=finetune_run.delay).total


@worker_ready.connect
def recover_export_jobs_at_start(**_: Any) -> None:
    """A worker that starts after a crash picks up what the dead one left (via the default queue)."""
    try:
        recover_jobs.delay()
    except Exception:
        log.warning("could not queue recover_jobs at worker start", exc_info=True)


__all__ = ["build_snapshot", "finetune_run", "recover_jobs", "send_after_commit"]
