"""QA: a deterministic random sample of decisions is re-reviewed blind by someone else.

Sampling is a keyed hash of the decision id (HMAC with SECRET_KEY) compared with the rate: uniform,
reproducible, and not predictable by reviewers. The QA case is a new case on the same item at the
decision's tier, never served to the original reviewer; its page shows neither the decision it
re-reviews nor the content's earlier cases. Its own decision is compared with the original
(same action; overlap of policy codes) and never sent to the source system.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from django.conf import settings

from ..events import publish_case_event
from ..metrics import jaccard
from ..models import Case, CaseSource, CaseState, Decision, QAReview, ReviewSettings
from .lifecycle import record, schedule


def qa_sampled(*, decision_id: int, rate: float) -> bool:
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    digest = hmac.new(settings.SECRET_KEY.encode(), f"review-qa:{decision_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def qa_case_create(*, decision: Decision, case: Case, review_settings: ReviewSettings, now: datetime) -> Case:
    qa = Case(
        organization_id=case.organization_id, project_id=case.project_id, item_id=case.item_id,
        policy_id=decision.policy_id, source=CaseSource.QA_SAMPLE, category=case.category,
        severity=case.severity, tier=decision.tier, state=CaseState.OPEN,
        excluded_reviewer_id=decision.reviewer_id, qa_of=decision, created_at=now,
    )
    qa.item = case.item
    schedule(qa, start=now, policy=decision.policy, sla_minutes=review_settings.qa_sla_minutes)
    qa.save()
    record(qa, "created", actor_id=None, now=now, to_state=qa.state, qa_of=decision.pk)
    publish_case_event(qa, "created")
    return qa


def qa_record(*, qa_case: Case, qa_decision: Decision, now: datetime) -> QAReview:
    original = qa_case.qa_of
    assert original is not None
    return QAReview.objects.create(
        qa_case=qa_case, original=original, qa_decision=qa_decision, original_reviewer_id=original.reviewer_id,
        vendor_id=original.vendor_id, organization_id=qa_case.organization_id, category=qa_case.category,
        action_agrees=qa_decision.action == original.action,
        code_agreement=jaccard(original.policy_codes, qa_decision.policy_codes), created_at=now,
    )
