"""Celery tasks for annotation: thin, take ids, idempotent."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from .importing.pipeline import recoverable_jobs, run_import


@shared_task(acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def import_items(job_id: int) -> str:
    return run_import(job_id).status


@shared_task(ignore_result=True)
def recover_imports() -> int:
    """Re-queue imports whose worker died (stale heartbeat) or whose message was lost. Beat runs it."""
    jobs = recoverable_jobs()
    for job_id in jobs:
        import_items.delay(job_id)
    return len(jobs)


@worker_ready.connect
def requeue_interrupted_imports(**_: Any) -> None:
    """A worker that died mid-import leaves its job 'running'; the next worker picks it up."""
    recover_imports.delay()
