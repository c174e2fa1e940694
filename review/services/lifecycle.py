"""Moving a case between states (checked against review/state.py) and its audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from ..conf import review_setting
from ..models import Appeal, Case, CaseEvent, Decision, PolicyVersion
from ..state import APPEALED, check_transition
from ..urgency import sla_due, urgency_key


def record(case: Case, kind: str, *, actor_id: int | None, now: datetime, from_state: str = "",
           to_state: str = "", **detail: Any) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=kind, from_state=from_state, to_state=to_state, actor_id=actor_id, at=now, detail=detail
    )


def transition(case: Case, target: str, *, kind: str, actor_id: int | None, now: datetime, **detail: Any) -> None:
    """Move ``case`` (locked by the caller, saved by the caller) to ``target``, or raise
    IllegalTransition. Every state change of a case outside the claim statement goes through here;
    the claim statement's own (waiting → in_review) is checked against the table at import."""
    assert transaction.get_connection().in_atomic_block, "transition() needs the caller's transaction"
    check_transition(case.state, target)
    record(case, kind, actor_id=actor_id, now=now, from_state=case.state, to_state=target, **detail)
    case.state = target


def schedule(case: Case, *, start: datetime, policy: PolicyVersion, sla_minutes: int | None = None) -> None:
    """Set the case's due time from the policy's SLA for its severity (or ``sla_minutes``), and the
    urgency key the queue orders by."""
    if sla_minutes is not None:
        sla = {str(case.severity): sla_minutes}
    else:
        sla = {str(k): int(v) for k, v in policy.sla_minutes.items()}
    case.due_at = sla_due(start=start, severity=case.severity, sla_minutes=sla)
    case.urgency_key = urgency_key(
        due_at=case.due_at, severity=case.severity, tau_seconds=float(review_setting("REVIEW_URGENCY_TAU_SECONDS"))
    )


def appeal_open(
    case: Case, *, decision: Decision, policy: PolicyVersion, actor_id: int | None, requested_by_id: int | None,
    reason: str, now: datetime, **detail: Any
) -> Appeal:
    """Put a decided case (locked by the caller) back into the queue to re-review ``decision``: at
    the decision's tier or higher, with a fresh SLA, never served to the person who made it."""
    transition(case, APPEALED, kind="appealed", actor_id=actor_id, now=now, decision=decision.pk, **detail)
    case.excluded_reviewer_id = decision.reviewer_id
    case.tier = max(case.tier, decision.tier)
    case.breach_escalated_at = None
    schedule(case, start=now, policy=policy)
    case.save()
    return Appeal.objects.create(case=case, decision=decision, requested_by_id=requested_by_id, reason=reason,
                                 created_at=now)
