"""SLA breaches escalate by themselves: a case past its due time that nobody is working moves up a
tier, once. Run by the beat task ``review.tasks.escalate_breached_cases``; idempotent.

A breached case is escalated when it is waiting (open, escalated, appealed) or ``in_review`` under
a lease that ran out, is below the specialist tier, and was not escalated for a breach before
(``breach_escalated_at``): running the task twice, or twice at once, escalates each case once.
Cases being actively reviewed are left with their reviewer. The queue already serves breached cases
first, so the escalation only changes who may take the case.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..conf import review_setting
from ..events import publish_case_event
from ..models import QUEUE_STATES, Case, CaseLease, LeaseState, Tier
from ..state import ESCALATED, IN_REVIEW, WAITING
from .lifecycle import transition


def breached_cases(*, now: datetime) -> Q:
    # ``state__in=QUEUE_STATES`` repeats the index predicate, so PostgreSQL sees it is implied.
    return (
        Q(due_at__lte=now, breach_escalated_at__isnull=True, tier__lt=Tier.SPECIALIST, state__in=QUEUE_STATES)
        & (Q(state__in=WAITING) | Q(state=IN_REVIEW, leased_until__lte=now))
    )


def cases_escalate_breached(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Escalate up to ``limit`` breached cases, each in its own short transaction; returns how many."""
    now = now or timezone.now()
    limit = limit or int(review_setting("REVIEW_BREACH_BATCH"))
    ids = list(Case.objects.filter(breached_cases(now=now)).order_by("due_at").values_list("pk", flat=True)[:limit])
    done = 0
    for case_id in ids:
        done += _escalate_one(case_id, now)
    return done


@transaction.atomic
def _escalate_one(case_id: int, now: datetime) -> int:
    # Re-checked under the lock: a reviewer may have claimed or decided it since the list was read,
    # and a concurrent run of this task skips the rows this one holds.
    case = (
        Case.objects.select_for_update(skip_locked=True).select_related("item").defer("item__text_sealed")
        .filter(breached_cases(now=now), pk=case_id).first()
    )
    if case is None:
        return 0
    if case.state == IN_REVIEW:  # its lease ran out: the holder holds nothing any more
        CaseLease.objects.filter(case_id=case.pk, state=LeaseState.ACTIVE).update(
            state=LeaseState.EXPIRED, ended_at=now
        )
    transition(case, ESCALATED, kind="sla_breach", actor_id=None, now=now, to_tier=case.tier + 1,
               overdue_seconds=int((now - case.due_at).total_seconds()))
    case.tier += 1
    case.breach_escalated_at = now
    case.assignee, case.leased_until, case.queued_as = None, None, ""
    case.save(update_fields=["state", "tier", "breach_escalated_at", "assignee", "leased_until", "queued_as",
                             "updated_at"])
    publish_case_event(case, "escalated", reason="sla_breach")
    return 1
