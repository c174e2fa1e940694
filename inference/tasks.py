"""Celery tasks for inference (queue ``inference``): thin, take ids, idempotent."""

from __future__ import annotations

from celery import shared_task

from annotation.models import ImportJob

from .prelabel import prelabel_project, wants_prelabel


@shared_task(acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def prelabel(project_id: int, item_ids: list[int] | None = None) -> int:
    """Pre-label a project's items without a suggestion (or the given ones); returns how many."""
    return prelabel_project(project_id=project_id, item_ids=item_ids).items


def after_import(job: ImportJob) -> None:
    """Import post-store hook: queue pre-labeling for projects that want it."""
    if wants_prelabel(job.project_id):
        prelabel.delay(job.project_id)
