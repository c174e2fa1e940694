"""Celery tasks for inference (queue ``inference``): thin, take ids, idempotent."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready

from annotation.models import ImportJob

from .models import ProjectModel
from .prelabel import prelabel_pending_recover, prelabel_project, wants_prelabel
from .triage import triage_cases as triage_cases_run

log = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def prelabel(project_id: int, item_ids: list[int] | None = None) -> int:
    """Pre-label a project's items without a suggestion (or the given ones); returns how many."""
    return prelabel_project(project_id=project_id, item_ids=item_ids).items


def after_import(job: ImportJob) -> None:
    """Import post-store hook: queue pre-labeling for projects that want it. The items are stored
    already, so a broker failure is logged; ``recover_prelabel`` sends the project later."""
    if wants_prelabel(job.project_id):
        try:
            prelabel.delay(job.project_id)
        except Exception:
            log.exception("could not queue pre-labeling of project %s", job.project_id)


# Routed to the default queue (settings.CELERY_TASK_ROUTES): it must not wait behind a long pre-labeling run.
@shared_task(ignore_result=True, time_limit=300)
def recover_prelabel() -> int:
    """Re-send pre-labeling that a dead inference worker left unfinished. Beat and worker start run it."""
    return len(prelabel_pending_recover(send=prelabel.delay).projects)


@worker_ready.connect
def recover_prelabel_at_start(**_: Any) -> None:
    try:
        recover_prelabel.delay()
    except Exception:
        log.warning("could not queue recover_prelabel at worker start", exc_info=True)


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3600 - 60)
def triage_cases(case_ids: list[int]) -> int:
    """Triage moderation cases with their project's model; returns how many were triaged."""
    return triage_cases_run(case_ids=case_ids).triaged


def after_case_created(case_id: int, project_id: int) -> None:
    """Case-created hook (run after commit): queue triage when the project has a model. The case is
    already saved, so a broker failure is logged rather than failing the report that opened it."""
    if not ProjectModel.objects.filter(project_id=project_id).exists():
        return
    try:
        triage_cases.delay([case_id])
    except Exception:
        log.exception("could not queue triage of case %s", case_id)
