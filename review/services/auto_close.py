"""The triage model's decisions: closing an open case it scored below the project's auto-close
threshold, and reopening one when a person's QA re-review disagrees.

An auto-close is a ``Decision`` of kind ``model``: no reviewer, the model version and what it
decided by (score, category, thresholds, the routing config in force) on the row and on the case's
``auto_closed`` event. It takes ``open → decided`` (review/state.py), sends the outcome to the
source system marked as automated, and is sampled for a person's blind QA re-review at the
project's rate. It is reversible like any decision: staff appeal it (``cases.case_appeal``), and a
QA re-review that actions the content reopens the case as an appeal, so a person decides it and
the source system hears the corrected outcome. Inference calls in here; review never imports
inference (ARCHITECTURE.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..events import publish_case_event
from ..models import (
    FINAL_ACTIONS,
    Appeal,
    Case,
    CaseSource,
    Decision,
    DecisionAction,
    DecisionKind,
    QAReview,
)
from ..state import DECIDED, OPEN
from .lifecycle import appeal_open, record, transition
from .policy import policy_default, review_settings_get
from .qa import qa_case_create, qa_sampled
from .webhooks import delivery_create_for_decision

AUTO_CLOSED = "auto_closed"
AUTO_CLOSE_SKIPPED = "auto_close_skipped"
QA_REOPENED = "qa_disagreed_with_model"
# Actions that mean the content did violate the policy.
ACTIONED = (DecisionAction.REMOVE, DecisionAction.RESTRICT)


def check_auto_close(*, case: Case) -> str | None:
    """Why the model may not close this case, or None when it may. Only a case waiting untouched in
    the queue (``open``) is closed; appeals and QA re-reviews are for people; an item a person has
    actioned before, or a case that was ever appealed, is always left to people."""
    if case.state != OPEN:
        return f"state_{case.state}"
    if case.qa_of_id is not None or case.source in (CaseSource.APPEAL, CaseSource.QA_SAMPLE):
        return f"source_{case.source}"
    if Appeal.objects.filter(case_id=case.pk).exists():
        return "appealed_before"
    actioned = (
        Decision.objects.filter(case__item_id=case.item_id, action__in=ACTIONED)
        .exclude(kind=DecisionKind.MODEL)
        .exists()
    )
    if actioned:
        return "item_actioned_before"
    return None


def case_auto_close(
    *,
    case_id: int,
    model_version: str,
    score: float,
    auto_close_below: float,
    qa_sample_rate: float,
    detail: dict[str, Any],
    now: datetime | None = None,
) -> Decision | None:
    """Close an open case as the model: ``allow``, no policy codes. Returns the decision, or None
    when the case may not be closed (the reason is recorded as an ``auto_close_skipped`` event).
    ``detail`` (score, category, thresholds, config) is kept on the decision for audit."""
    if not model_version:
        raise ValueError("a model decision names its model version")
    if not score < auto_close_below:
        raise ValueError(f"score {score} is not below the auto-close threshold {auto_close_below}")
    now = now or timezone.now()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("item", "policy")
            .defer("item__text_sealed").filter(pk=case_id).first()
        )
        if case is None:
            return None
        refused = check_auto_close(case=case)
        if refused is not None:
            record(case, AUTO_CLOSE_SKIPPED, actor_id=None, now=now, model_version=model_version, reason=refused)
            return None
        audit = {**detail, "score": round(score, 6), "auto_close_below": auto_close_below,
                 "qa_sample_rate": qa_sample_rate}
        decision = Decision.objects.create(
            case=case, policy_id=case.policy_id, reviewer=None, vendor=None, kind=DecisionKind.MODEL, tier=case.tier,
            action=DecisionAction.ALLOW, policy_codes=[],
            rationale=f"Auto-closed by triage: score {score:.4f} below {auto_close_below:g} ({model_version}).",
            time_spent_ms=0, due_at=case.due_at, within_sla=now <= case.due_at, model_version=model_version,
            model_detail=audit, created_at=now,
        )
        transition(case, DECIDED, kind=AUTO_CLOSED, actor_id=None, now=now, decision=decision.pk,
                   model_version=model_version, score=round(score, 6), auto_close_below=auto_close_below)
        case.final_action = DecisionAction.ALLOW
        case.decided_at = now
        case.auto_closed = True
        case.save(update_fields=["state", "final_action", "decided_at", "auto_closed", "updated_at"])
        if qa_sampled(decision_id=decision.pk, rate=qa_sample_rate):
            qa_case_create(decision=decision, case=case,
                           review_settings=review_settings_get(organization_id=case.organization_id), now=now)
        delivery_create_for_decision(decision=decision, case=case, appeal=None)
        publish_case_event(case, "decided", by=None, action=DecisionAction.ALLOW, auto_closed=True)
    return decision


def auto_close_contested(*, review: QAReview, actor_id: int, now: datetime) -> Appeal | None:
    """A person's QA re-review of an auto-close actioned the content: reopen the original case as an
    appeal of the model's decision (in the caller's transaction). Nothing when the re-review agreed,
    the original was a person's, or the case has moved on (appealed, or decided again by a person)."""
    original = review.original
    if original.kind != DecisionKind.MODEL or review.action_agrees:
        return None
    case = (
        Case.objects.select_for_update(of=("self",)).select_related("item")
        .defer("item__text_sealed").filter(pk=original.case_id).first()
    )
    if case is None or case.state != DECIDED or not case.auto_closed:
        return None
    latest = (
        Decision.objects.filter(case=case, action__in=FINAL_ACTIONS).exclude(kind=DecisionKind.QA)
        .order_by("-id").values_list("pk", flat=True).first()
    )
    if latest != original.pk or Appeal.objects.filter(decision=original).exists():
        return None
    appeal = appeal_open(
        case, decision=original, policy=policy_default(organization_id=case.organization_id), actor_id=actor_id,
        requested_by_id=None, reason="A QA re-review actioned content the triage model auto-closed.", now=now,
        cause=QA_REOPENED, qa_decision=review.qa_decision_id,
    )
    publish_case_event(case, "appealed")
    return appeal
