"""Celery tasks for quality: thin, idempotent; and the after-commit kick of the agreement fold."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.db import transaction

from .agreement import agreement_fold, agreement_update
from .sla import sla_fold

log = logging.getLogger(__name__)

KICK_INTERVAL = 1.0
_last_kick = {"at": -1e9}


@shared_task(ignore_result=True, time_limit=300)
def fold_sla() -> int:
    """Fold new review decisions into the SLA rollup. Beat runs it every minute."""
    total = 0
    while (n := sla_fold()) > 0:
        total += n
    return total


@shared_task(ignore_result=True, time_limit=300)
def fold_agreement() -> int:
    """Fold the items submissions marked into the agreement counts, batch by batch (for at most a
    minute; the next kick or beat run goes on). Beat runs it too, so nothing waits for long."""
    total, deadline = 0, time.monotonic() + 60
    while time.monotonic() < deadline and (n := agreement_fold()) > 0:
        total += n
    return total


@shared_task(ignore_result=True, time_limit=60)
def update_agreement(item_id: int) -> None:
    """Recount one item's agreement contribution (idempotent), e.g. after a missed update."""
    agreement_update(item_id=item_id)


def kick_agreement_fold() -> None:
    """After commit, queue a fold: at most once a second per process, so a busy queue sends one
    message a second, not one per submission. A broker outage loses only the kick (beat folds)."""
    tick = time.monotonic()
    if tick - _last_kick["at"] < KICK_INTERVAL:
        return
    _last_kick["at"] = tick

    def send() -> None:
        try:
            fold_agreement.delay()
        except Exception:  # the submission is committed; a missed kick only delays the figures
            log.warning("could not queue the agreement fold", exc_info=True)

    transaction.on_commit(send)
