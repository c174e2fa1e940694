"""Celery task for fine-tuning jobs on the ``training`` queue: thin, takes an id, idempotent, resumable."""

from __future__ import annotations

from celery import shared_task


# Named under ``training_export.tasks`` so the route ``training_export.tasks.finetune_*`` sends it to
# the training queue; acks_late: a worker lost mid-run gets the message redelivered and resumes.
@shared_task(
    name="training_export.tasks.finetune_run", acks_late=True, time_limit=12 * 3600, soft_time_limit=12 * 3600 - 60
)
def finetune_run(job_id: int) -> str:
    from .jobs import run_job

    return run_job(job_id)
