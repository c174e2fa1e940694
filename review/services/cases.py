"""Case writes: create (report, triage, escalation), decide, escalate, appeal. Keyword-only,
``check_*`` then the write, one transaction each; events and webhooks go out after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from annotation import selectors as annotation_selectors
from annotation.models import Item
from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role

from ..events import publish_case_event
from ..models import (
    FINAL_ACTIONS,
    Appeal,
    AppealState,
    Case,
    CaseLease,
    CaseSource,
    CaseState,
    Decision,
    DecisionAction,
    DecisionKind,
    LeaseState,
    PolicyVersion,
    Tier,
)
from ..selectors import reviewer_tier
from ..state import DECIDED, ESCALATED, IN_REVIEW, OPEN
from .auto_close import auto_close_contested
from .errors import AppealRefused, EscalationRefused, InvalidDecision, NotHeld
from .lifecycle import appeal_open, record, schedule, transition
from .policy import policy_categories, policy_default, review_settings_get
from .qa import qa_case_create, qa_record, qa_sampled
from .queue import not_held
from .webhooks import delivery_create_for_decision

MAX_TEXT = 5000

# Who may open a case from each source. Vendor users only escalate items they are working.
SOURCE_ROLES: dict[str, tuple[tuple[str, ...], bool]] = {  # source: (roles, internal staff only)
    CaseSource.USER_REPORT: ((Role.ADMIN, Role.REVIEWER), True),
    CaseSource.APPEAL: ((Role.ADMIN, Role.REVIEWER), True),
    CaseSource.MODEL_TRIAGE: ((Role.ADMIN, Role.ML_ENGINEER), True),
    CaseSource.ANNOTATOR_ESCALATION: ((Role.ANNOTATOR, Role.REVIEWER), False),
}
# An open case of the same item and category absorbs a new report instead of a second case.
MERGING_STATES = (OPEN, IN_REVIEW, ESCALATED)


# --- create ---------------------------------------------------------------------------------------


# Called after commit with (case id, project id) for every new case; inference registers its triage
# here, so review never imports inference (ARCHITECTURE: inference depends on review, not back).
CASE_CREATED_HOOKS: list[Callable[[int, int], None]] = []


def check_case_create(
    *, actor: Actor, item_id: int, source: str, category: str, severity: int, policy: PolicyVersion
) -> tuple[Item, int]:
    """The item (as the actor may see it) and the lowest tier the category allows."""
    rule = SOURCE_ROLES.get(source)
    if rule is None:
        raise InvalidDecision("source", f"Cases cannot be opened with source {source!r}.")
    roles, internal_only = rule
    require_role(actor, *roles)
    if internal_only and not actor.is_internal:
        raise AccessDenied("Only internal staff open cases from this source.")
    item = annotation_selectors.item_get(actor, item_id)  # raises AccessDenied: not visible to them
    if not 1 <= severity <= 4:
        raise InvalidDecision("severity", "Severity is 1 (low) to 4 (most severe).")
    categories = policy_categories(policy)
    if category not in categories:
        raise InvalidDecision("category", f"{category!r} is not a category of policy v{policy.version}.")
    return item, int(categories[category].min_tier)


def case_create(
    *,
    actor: Actor,
    item_id: int,
    source: str,
    category: str,
    severity: int,
    note: str = "",
    external_ref: str = "",
    triage_score: float | None = None,
    tier: int | None = None,
) -> tuple[Case, bool]:
    """Open a case on an item, or add the report to the item's undecided case of the same
    category (returns it with ``created=False``; a higher severity raises its urgency)."""
    policy = policy_default(organization_id=actor.organization_id)
    item, min_tier = check_case_create(
        actor=actor, item_id=item_id, source=source, category=category, severity=severity, policy=policy
    )
    requested = int(tier or Tier.L1) if actor.is_internal else int(Tier.L1)
    now = timezone.now()
    with transaction.atomic():
        existing = (
            Case.objects.select_for_update(of=("self",)).select_related("item").defer("item__text_sealed")
            .filter(item_id=item.pk, category=category, state__in=MERGING_STATES, qa_of__isnull=True)
            .order_by("id").first()
        )
        if existing is not None and source != CaseSource.APPEAL:
            return _merge(existing, actor=actor, source=source, severity=severity, triage_score=triage_score,
                          now=now), False
        case = Case(
            organization_id=actor.organization_id, project_id=item.project_id, item=item, policy=policy,
            source=source, category=category, severity=severity, tier=max(requested, min_tier, int(Tier.L1)),
            state=CaseState.OPEN, reported_by=actor.user, note=note[:MAX_TEXT], external_ref=external_ref[:255],
            triage_score=triage_score, created_at=now,
        )
        schedule(case, start=now, policy=policy)
        case.save()
        record(case, "created", actor_id=actor.user.pk, now=now, to_state=case.state, source=source)
        publish_case_event(case, "created")
        for hook in CASE_CREATED_HOOKS:
            transaction.on_commit(partial(hook, case.pk, case.project_id))
    return case, True


def _merge(case: Case, *, actor: Actor, source: str, severity: int, triage_score: float | None,
           now: datetime) -> Case:
    fields = ["report_count", "updated_at"]
    case.report_count += 1
    if triage_score is not None and (case.triage_score is None or triage_score > case.triage_score):
        case.triage_score = triage_score
        fields.append("triage_score")
    if severity > case.severity:
        due, key = case.due_at, case.urgency_key
        case.severity = severity
        schedule(case, start=now, policy=case.policy)
        case.due_at, case.urgency_key = min(due, case.due_at), min(key, case.urgency_key)
        fields += ["severity", "due_at", "urgency_key"]
    case.save(update_fields=fields)
    record(case, "reported", actor_id=actor.user.pk, now=now, source=source, severity=severity)
    publish_case_event(case, "updated")
    return case


# --- decide ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    decision: Decision
    created: bool  # False for an idempotent retry


def check_decision(
    *, action: str, policy_codes: Iterable[str], rationale: str, policy: PolicyVersion
) -> list[str]:
    if action not in DecisionAction.values:
        raise InvalidDecision("action", f"Action is one of {', '.join(DecisionAction.values)}.")
    codes = list(dict.fromkeys(str(c) for c in policy_codes))
    known = policy_categories(policy)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidDecision("policy_codes", f"Not in policy v{policy.version}: {', '.join(unknown)}.")
    if action in (DecisionAction.REMOVE, DecisionAction.RESTRICT) and not codes:
        raise InvalidDecision("policy_codes", "Removing or restricting content cites at least one policy code.")
    if len(rationale) > MAX_TEXT:
        raise InvalidDecision("rationale", f"At most {MAX_TEXT} characters.")
    return codes


def _retry_of(actor: Actor, client_key: str, case_id: int) -> Decision | None:
    if not client_key:
        return None
    existing = Decision.objects.filter(reviewer_id=actor.user.pk, client_key=client_key).first()
    if existing is not None and existing.case_id != case_id:
        raise InvalidDecision("client_key", "This client_key was already used for another decision.")
    return existing


def _lock_for_decision(actor: Actor, case_id: int) -> tuple[Case, CaseLease]:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("item", "policy", "qa_of")
        .defer("item__text_sealed")
        .filter(pk=case_id, organization_id=actor.organization_id).first()
    )
    if case is None:
        raise Case.DoesNotExist("No such case.")
    lease = (
        CaseLease.objects.select_for_update()
        .filter(case_id=case_id, reviewer_id=actor.user.pk, state=LeaseState.ACTIVE).first()
    )
    # A lease that ran out still counts while nobody else took the case over.
    if lease is None or case.state != IN_REVIEW or case.assignee_id != actor.user.pk:
        raise not_held(actor, case_id, "You do not hold this case (any more): claim it first.")
    return case, lease


def case_decide(
    *,
    actor: Actor,
    case_id: int,
    action: str,
    policy_codes: Iterable[str] = (),
    rationale: str = "",
    time_spent_ms: int = 0,
    client_key: str = "",
) -> Decided:
    """Record the holder's decision. A final action (allow, remove, restrict) decides the case,
    resolves a pending appeal, may sample it for QA and sends it to the source system; ``escalate``
    moves it to the next tier. Idempotent by ``client_key``."""
    existing = _retry_of(actor, client_key, case_id)
    if existing is not None:
        return Decided(existing, False)
    try:
        with transaction.atomic():
            return Decided(_decide(actor, case_id, action, policy_codes, rationale, time_spent_ms, client_key), True)
    except IntegrityError:
        existing = _retry_of(actor, client_key, case_id)
        if existing is None:
            raise
        return Decided(existing, False)


def _decide(actor: Actor, case_id: int, action: str, policy_codes: Iterable[str], rationale: str,
            time_spent_ms: int, client_key: str) -> Decision:
    case, lease = _lock_for_decision(actor, case_id)
    policy = policy_default(organization_id=actor.organization_id)
    codes = check_decision(action=action, policy_codes=policy_codes, rationale=rationale, policy=policy)
    now = timezone.now()
    appeal = Appeal.objects.select_for_update().filter(case=case, state=AppealState.PENDING).first()
    kind = DecisionKind.QA if case.qa_of_id else DecisionKind.APPEAL if appeal else DecisionKind.REVIEW
    final = action in FINAL_ACTIONS
    if not final and case.tier >= Tier.SPECIALIST:
        raise EscalationRefused("This case is already with a policy specialist; decide it.")
    spent = time_spent_ms or int((now - lease.created_at).total_seconds() * 1000)
    decision = Decision.objects.create(
        case=case, policy=policy, reviewer_id=actor.user.pk, vendor_id=actor.vendor_id, kind=kind, tier=case.tier,
        action=action, policy_codes=codes, rationale=rationale, time_spent_ms=max(0, min(spent, 2**31 - 1)),
        due_at=case.due_at, within_sla=now <= case.due_at, client_key=client_key, created_at=now,
    )
    lease.state, lease.ended_at = LeaseState.DONE, now
    lease.save(update_fields=["state", "ended_at"])
    fields = ["state", "assignee", "leased_until", "queued_as", "updated_at"]
    if final:
        transition(case, DECIDED, kind="decided", actor_id=actor.user.pk, now=now, decision=decision.pk)
        case.final_action = action
        case.decided_at = case.decided_at or now
        case.auto_closed = False  # a person's decision now stands, over any auto-close before it
        fields += ["final_action", "decided_at", "auto_closed"]
    else:
        transition(case, ESCALATED, kind="escalated", actor_id=actor.user.pk, now=now, decision=decision.pk,
                   to_tier=case.tier + 1)
        case.tier += 1
        fields.append("tier")
    case.assignee, case.leased_until, case.queued_as = None, None, ""
    case.save(update_fields=fields)
    if final and appeal is not None:
        appeal.state = AppealState.UPHELD if action == appeal.decision.action else AppealState.OVERTURNED
        appeal.resolution, appeal.resolved_at = decision, now
        appeal.save(update_fields=["state", "resolution", "resolved_at"])
    if final and kind == DecisionKind.QA:
        review = qa_record(qa_case=case, qa_decision=decision, now=now)
        auto_close_contested(review=review, actor_id=actor.user.pk, now=now)
    if final and kind == DecisionKind.REVIEW:
        review_settings = review_settings_get(organization_id=case.organization_id)
        if qa_sampled(decision_id=decision.pk, rate=review_settings.qa_sample_rate):
            qa_case_create(decision=decision, case=case, review_settings=review_settings, now=now)
    if kind != DecisionKind.QA:
        delivery_create_for_decision(decision=decision, case=case, appeal=appeal if final else None)
    publish_case_event(case, "decided" if final else "escalated", by=actor.user.pk, action=action)
    return decision


# --- escalate and appeal --------------------------------------------------------------------------


def check_escalate(*, actor: Actor, case: Case) -> None:
    require_role(actor, Role.REVIEWER)
    if not actor.is_internal:
        raise AccessDenied("Vendor reviewers escalate the case they hold, by deciding 'escalate'.")
    if case.state == IN_REVIEW:
        raise NotHeld("Someone else is reviewing this case.")
    if case.tier >= Tier.SPECIALIST:
        raise EscalationRefused("This case is already with a policy specialist.")
    if reviewer_tier(actor) < case.tier:
        raise AccessDenied("This case is above your tier.")


def case_escalate(*, actor: Actor, case_id: int, reason: str = "", client_key: str = "") -> Case:
    """Move a case to the next tier. The reviewer holding it escalates by deciding ``escalate``
    (recorded as a decision); internal staff may also escalate a case waiting in the queue."""
    held = CaseLease.objects.filter(case_id=case_id, reviewer_id=actor.user.pk, state=LeaseState.ACTIVE).exists()
    if held:
        decided = case_decide(actor=actor, case_id=case_id, action=DecisionAction.ESCALATE, rationale=reason,
                              client_key=client_key)
        return Case.objects.get(pk=decided.decision.case_id)
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id, organization_id=actor.organization_id).first()
        if case is None:
            raise Case.DoesNotExist("No such case.")
        check_escalate(actor=actor, case=case)
        now = timezone.now()
        transition(case, ESCALATED, kind="escalated", actor_id=actor.user.pk, now=now, reason=reason[:MAX_TEXT],
                   to_tier=case.tier + 1)
        case.tier += 1
        case.save(update_fields=["state", "tier", "updated_at"])
        publish_case_event(case, "escalated", by=actor.user.pk)
    return case


def check_appeal(*, actor: Actor, case: Case) -> Decision:
    """The decision an appeal would contest: the case's latest final decision."""
    require_role(actor, Role.REVIEWER)
    if not actor.is_internal:
        raise AccessDenied("Appeals are filed by internal staff or the source system.")
    if case.qa_of_id is not None:
        raise AppealRefused("QA re-reviews cannot be appealed.")
    if case.state != DECIDED:
        raise AppealRefused(f"Only decided cases can be appealed; this one is {case.state}.")
    decision = (
        Decision.objects.filter(case=case, action__in=FINAL_ACTIONS).exclude(kind=DecisionKind.QA)
        .order_by("-id").first()
    )
    if decision is None:
        raise AppealRefused("This case has no decision to appeal.")
    if Appeal.objects.filter(decision=decision).exists():
        raise AppealRefused("This decision was already appealed.")
    return decision


@transaction.atomic
def case_appeal(*, actor: Actor, case_id: int, reason: str = "") -> Appeal:
    """Contest the case's latest decision. The case goes back into the queue at the decision's tier
    (or higher) with a fresh SLA, and is never served to the reviewer who made that decision."""
    case = (
        Case.objects.select_for_update(of=("self",)).select_related("policy", "item").defer("item__text_sealed")
        .filter(pk=case_id, organization_id=actor.organization_id).first()
    )
    if case is None:
        raise Case.DoesNotExist("No such case.")
    decision = check_appeal(actor=actor, case=case)
    appeal = appeal_open(
        case, decision=decision, policy=policy_default(organization_id=case.organization_id), actor_id=actor.user.pk,
        requested_by_id=actor.user.pk, reason=reason[:MAX_TEXT], now=timezone.now(),
    )
    publish_case_event(case, "appealed")
    return appeal

