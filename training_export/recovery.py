"""Recovering export jobs that lost their worker or their message: snapshots and fine-tuning jobs.

Rows in PostgreSQL are the truth; a Celery message is only a nudge. A build or a fine-tune whose
worker was killed stays ``building``/``running`` with nobody on it, and a request made while the
broker was down is recorded ``queued`` with no message at all. ``export_jobs_recover`` finds both
and sends them again; the jobs themselves are idempotent and refuse to run twice at once (a
snapshot build holds its run lock, a fine-tune claims its row), so a message that arrives twice, or
late (``acks_late`` redelivery), does no harm. Beat runs it every minute and every worker start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from inference.runlocks import is_running

from .models import FineTuneJob, FineTuneStatus, Snapshot, SnapshotStatus

log = logging.getLogger(__name__)


@dataclass
class Recovered:
    """Ids re-sent, by kind and reason."""

    snapshots_interrupted: list[int] = field(default_factory=list)
    snapshots_unsent: list[int] = field(default_factory=list)
    finetunes_interrupted: list[int] = field(default_factory=list)
    finetunes_unsent: list[int] = field(default_factory=list)
    finetunes_cancelled: list[int] = field(default_factory=list)
    finetunes_failed: list[int] = field(default_factory=list)  # their worker died JOB_MAX_ATTEMPTS times

    @property
    def total(self) -> int:
        return (len(self.snapshots_interrupted) + len(self.snapshots_unsent) + len(self.finetunes_interrupted)
                + len(self.finetunes_unsent))


def _stale_after() -> timedelta:
    return timedelta(seconds=float(settings.QUORUM["JOB_STALE_SECONDS"]))


def export_jobs_recover(
    *,
    send_snapshot: Callable[[int], object],
    send_finetune: Callable[[int], object],
    now: datetime | None = None,
) -> Recovered:
    """Re-send snapshots and fine-tuning jobs that nobody is running. ``send_*`` put one message on
    the broker (the Celery tasks' ``delay``); a send that fails leaves the row for the next pass."""
    now = now or timezone.now()
    cutoff = now - _stale_after()
    out = Recovered()

    # Snapshots: a build holds the snapshot's run lock while it runs, so a free lock on a 'building'
    # row means its worker is gone. Back to 'queued' first (one conditional UPDATE: a racing
    # recovery pass sends it only once).
    for pk in Snapshot.objects.filter(status=SnapshotStatus.BUILDING).values_list("pk", flat=True):
        if not is_running("snapshot", pk) and Snapshot.objects.filter(
            pk=pk, status=SnapshotStatus.BUILDING
        ).update(status=SnapshotStatus.QUEUED):
            out.snapshots_interrupted.append(pk)
    # A queued row older than the stale limit never got (or lost) its message. Rows re-queued just
    # above go too. Any duplicate message finds the row ready or locked and does nothing.
    out.snapshots_unsent = [
        pk
        for pk in Snapshot.objects.filter(status=SnapshotStatus.QUEUED, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
        if pk not in out.snapshots_interrupted
    ]

    # Fine-tunes: the run's heartbeat thread stops with its worker. A stale 'running' row goes back
    # to 'queued' (or 'cancelled' when cancel was asked); heartbeat_at then records when it was sent,
    # so a job waiting in a long queue is re-sent at most once per stale period.
    dead = FineTuneJob.objects.filter(status=FineTuneStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    max_attempts = int(settings.QUORUM["JOB_MAX_ATTEMPTS"])
    for pk, cancel, attempts, step in dead.values_list("pk", "cancel_requested", "attempts", "step"):
        stale = FineTuneJob.objects.filter(pk=pk, status=FineTuneStatus.RUNNING).filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
        )
        if cancel:
            if stale.update(status=FineTuneStatus.CANCELLED, finished_at=now):
                out.finetunes_cancelled.append(pk)
        elif attempts >= max_attempts:
            error = (f"Its worker died during each of {attempts} runs (the last at step {step}); not retried. "
                     "Look for the cause in the training worker's log (memory, a kill), then start a new job.")
            if stale.update(status=FineTuneStatus.FAILED, error=error, finished_at=now):
                out.finetunes_failed.append(pk)
        elif stale.update(status=FineTuneStatus.QUEUED, heartbeat_at=now):
            out.finetunes_interrupted.append(pk)
    waiting = FineTuneJob.objects.filter(status=FineTuneStatus.QUEUED).annotate(
        sent_at=Greatest("created_at", Coalesce("heartbeat_at", "created_at"))
    )
    for pk in waiting.filter(sent_at__lt=cutoff).values_list("pk", flat=True):
        if FineTuneJob.objects.filter(pk=pk, status=FineTuneStatus.QUEUED).update(heartbeat_at=now):
            out.finetunes_unsent.append(pk)

    for pk in [*out.snapshots_interrupted, *out.snapshots_unsent]:
        _send(send_snapshot, "snapshot", pk)
    for pk in [*out.finetunes_interrupted, *out.finetunes_unsent]:
        _send(send_finetune, "fine-tune job", pk)
    if out.total or out.finetunes_cancelled or out.finetunes_failed:
        log.warning("re-sent export jobs: %s", out)
    return out


def _send(send: Callable[[int], object], what: str, pk: int) -> None:
    try:
        send(pk)
    except Exception:  # the broker is still down: the row stays as it is for the next pass
        log.warning("could not re-send %s %s", what, pk, exc_info=True)
