"""Celery tasks for review: thin, take ids, idempotent. All run on the default queue.

Beat: ``escalate_breached_cases`` every minute and ``requeue_stale_deliveries`` every five minutes,
registered here with ``add_periodic_task`` (the beat reads them when it imports the task modules).
"""

from __future__ import annotations

from typing import Any

from celery import current_app, shared_task

from .delivery import attempt_delivery, deliveries_stale
from .services.sla import cases_escalate_breached


@shared_task(bind=True, acks_late=True, max_retries=None, time_limit=120, soft_time_limit=100, ignore_result=True)
def deliver_webhook(self: Any, delivery_id: int) -> str:
    """One attempt at a decision's webhook; retried with exponential backoff while attempts are
    left (the delivery row counts them, not Celery). Running it for a delivered or dead delivery,
    or while another attempt is in flight, sends nothing."""
    outcome = attempt_delivery(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def escalate_breached_cases() -> int:
    return cases_escalate_breached()


@shared_task(ignore_result=True, time_limit=60)
def requeue_stale_deliveries() -> int:
    ids = deliveries_stale()
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)
    return len(ids)


current_app.add_periodic_task(60.0, escalate_breached_cases.s(), name="review.escalate-breached-cases")
current_app.add_periodic_task(300.0, requeue_stale_deliveries.s(), name="review.requeue-stale-deliveries")
