"""Reads for review, always through the acting user (workforce.access.Actor).

Who sees which cases (``case_scope``), in one place:

- internal admins, reviewers and ML engineers: every case of their organization;
- vendor reviewers: L1 cases of projects routed to their vendor (an active ProjectVendor), never
  internal-only items or items pinned to another vendor; an escalated case leaves their view;
- annotators: the L1-visible cases they reported (vendor) or every case they reported (internal);
- vendor managers: no cases (they get aggregated reports only).

Item content is read from ``text_redacted`` only; ``Item.text`` is deferred on every query here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from annotation.models import ProjectVendor
from workforce.access import Actor
from workforce.models import Role

from .models import (
    QUEUE_STATES,
    Case,
    CaseLease,
    Decision,
    DecisionKind,
    ExposureDay,
    LeaseState,
    PolicyVersion,
    ReviewerProfile,
    ReviewerWellness,
    Tier,
    WebhookDelivery,
    WebhookEndpoint,
)

NOTHING = Q(pk__in=[])
CASE_READERS = (Role.ADMIN, Role.REVIEWER, Role.ML_ENGINEER)


def reviewer_tier(actor: Actor) -> int:
    """The highest tier the actor may review, 0 for people who do not review. Vendor reviewers are
    L1 whatever else is recorded; internal reviewers L2 unless their profile says otherwise;
    admins policy specialists."""
    if not actor.has_role(Role.REVIEWER):
        return 0
    if not actor.is_internal:
        return int(Tier.L1)
    profile = ReviewerProfile.objects.filter(user_id=actor.user.pk).values_list("tier", flat=True).first()
    if profile is not None:
        return int(profile)
    return int(Tier.SPECIALIST) if actor.is_admin else int(Tier.L2)


def routed_project_ids(vendor_id: int) -> list[int]:
    return list(ProjectVendor.objects.filter(vendor_id=vendor_id, active=True).values_list("project_id", flat=True))


def _vendor_case_scope(actor: Actor, prefix: str = "") -> Q:
    vendor = actor.vendor_id or 0
    return Q(**{
        f"{prefix}organization_id": actor.organization_id,
        f"{prefix}tier": Tier.L1,
        f"{prefix}project__routes__vendor_id": vendor,
        f"{prefix}project__routes__active": True,
        f"{prefix}item__internal_only": False,
    }) & (Q(**{f"{prefix}item__pinned_vendor__isnull": True}) | Q(**{f"{prefix}item__pinned_vendor_id": vendor}))


def case_scope(actor: Actor, prefix: str = "") -> Q:
    """The Q every case query carries for this actor (``prefix`` for queries through a relation)."""
    if actor.is_internal:
        if actor.has_role(*CASE_READERS):
            return Q(**{f"{prefix}organization_id": actor.organization_id})
        if actor.role == Role.ANNOTATOR:
            return Q(**{f"{prefix}organization_id": actor.organization_id, f"{prefix}reported_by_id": actor.user.pk})
        return NOTHING
    if actor.role == Role.REVIEWER:
        return _vendor_case_scope(actor, prefix)
    if actor.role == Role.ANNOTATOR:
        return _vendor_case_scope(actor, prefix) & Q(**{f"{prefix}reported_by_id": actor.user.pk})
    return NOTHING


def cases_visible(actor: Actor) -> QuerySet[Case]:
    return (
        Case.objects.filter(case_scope(actor))
        .select_related("item", "project", "policy")
        .defer("item__text_sealed")
        .order_by("-id")
    )


def case_get(actor: Actor, case_id: int) -> Case:
    """The case if the actor may see it. Otherwise ``Case.DoesNotExist`` (404), the same answer as
    for an id that does not exist: another vendor's or organization's case is not disclosed."""
    case = cases_visible(actor).filter(pk=case_id).first()
    if case is None:
        raise Case.DoesNotExist("No such case.")
    return case


def case_detail(actor: Actor, case_id: int) -> Case:
    """A case with its decisions and appeals, as far as the actor may see them. A QA case does not
    show the decision it re-reviews (blind) until it is decided."""
    decisions = Decision.objects.order_by("id")
    if not actor.is_internal:
        # Vendor users see only decisions of their own vendor's people and the final outcome (a
        # reviewer's at L1, or the model's auto-close).
        decisions = decisions.filter(
            Q(vendor_id=actor.vendor_id) | Q(kind__in=(DecisionKind.REVIEW, DecisionKind.MODEL), tier=Tier.L1)
        )
    qs = cases_visible(actor).prefetch_related(Prefetch("decisions", queryset=decisions), "appeals")
    case = qs.filter(pk=case_id).first()
    if case is None:
        raise Case.DoesNotExist("No such case.")
    return case


def queue_preview(actor: Actor, *, limit: int = 50, now: datetime | None = None) -> list[Case]:
    """The cases waiting at the actor's tiers (or held, or lapsed), most urgent first, as the claim
    orders them: breached first, then by urgency key. What a reviewer's caps or breaks hold back is
    still listed; the claim decides."""
    tier = reviewer_tier(actor)
    if tier == 0:
        return []
    now = now or timezone.now()
    base = cases_visible(actor).filter(state__in=QUEUE_STATES, tier__lte=tier).order_by("urgency_key", "id")
    breached = list(base.filter(due_at__lte=now)[:limit])
    rest = list(base.filter(due_at__gt=now)[: max(0, limit - len(breached))])
    return breached + rest


def case_history(actor: Actor, case: Case) -> list[Case]:
    """Earlier cases of the same item, with their decisions, that the actor may see (read over the
    case table's item index). Empty for a QA case: its review is blind."""
    if case.qa_of_id is not None:
        return []
    qs = (
        cases_visible(actor)
        .filter(item_id=case.item_id, qa_of__isnull=True)
        .exclude(pk=case.pk)
        .filter(created_at__lte=case.created_at)
        .prefetch_related(Prefetch("decisions", queryset=Decision.objects.order_by("id")))
    )
    return list(qs[:20])


def lease_current(actor: Actor) -> CaseLease | None:
    return (
        CaseLease.objects.select_related("case", "case__item", "case__project", "case__policy")
        .defer("case__item__text_sealed")
        .filter(reviewer_id=actor.user.pk, state=LeaseState.ACTIVE)
        .first()
    )


def policies_visible(actor: Actor) -> QuerySet[PolicyVersion]:
    return (
        PolicyVersion.objects.filter(organization_id=actor.organization_id)
        .prefetch_related("categories")
        .order_by("-version")
    )


def my_wellness(actor: Actor, *, caps: dict[str, int], now: datetime | None = None) -> dict[str, Any]:
    """The acting reviewer's own exposure today against the caps, and any break they are on."""
    now = now or timezone.now()
    rows = ExposureDay.objects.filter(reviewer_id=actor.user.pk, day=timezone.localdate(now))
    exposure = {r.category: r.items for r in rows}
    state = ReviewerWellness.objects.filter(reviewer_id=actor.user.pk).first()
    on_break = state is not None and state.break_until is not None and state.break_until > now
    return {
        "day": timezone.localdate(now),
        "exposure": [
            {"category": c, "items": exposure.get(c, 0), "cap": caps.get(c)}
            for c in sorted(set(exposure) | set(caps), key=_code_order)
        ],
        "capped": sorted((c for c, cap in caps.items() if exposure.get(c, 0) >= cap), key=_code_order),
        "severe_streak": state.severe_streak if state else 0,
        "break_until": state.break_until if on_break and state else None,
    }


def _code_order(code: str) -> tuple[str, int]:
    digits = "".join(ch for ch in code if ch.isdigit())
    return (code.rstrip("0123456789"), int(digits) if digits else 0)


def webhook_endpoints_visible(actor: Actor) -> QuerySet[WebhookEndpoint]:
    if not (actor.is_admin and actor.is_internal):
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(organization_id=actor.organization_id).order_by("-id")


def webhook_deliveries_visible(actor: Actor) -> QuerySet[WebhookDelivery]:
    if not (actor.is_admin and actor.is_internal):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.filter(organization_id=actor.organization_id).select_related("endpoint")
