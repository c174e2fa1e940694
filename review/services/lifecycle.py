"""Moving a case between states (checked against review/state.py) and its audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from ..conf import review_setting
from ..models import Case, CaseEvent, PolicyVersion
from ..state import check_transition
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
