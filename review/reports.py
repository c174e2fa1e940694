"""Aggregated reads for managers: SLA compliance, reviewer wellness, QA agreement and appeals.

Admins see their organization; vendor managers see their own vendor's figures only (decisions and
exposure of their vendor's reviewers); nobody else gets reports. Every figure is a count, a share or
an average over a group: no case, item or decision is named, and the wellness report has no
per-person rows at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from workforce.access import AccessDenied, Actor
from workforce.models import Role, User

from .metrics import cohen_kappa, share
from .models import (
    FINAL_ACTIONS,
    QUEUE_STATES,
    Appeal,
    AppealState,
    Case,
    Decision,
    DecisionKind,
    ExposureDay,
    QAReview,
    ReviewerWellness,
    WellnessBreak,
)
from .services.policy import review_settings_get


@dataclass(frozen=True)
class ReportScope:
    organization_id: int
    vendor_id: int | None  # None: the whole organization

    def q(self, vendor_field: str = "vendor_id", org_field: str = "organization_id") -> Q:
        q = Q(**{org_field: self.organization_id})
        if self.vendor_id is not None:
            q &= Q(**{vendor_field: self.vendor_id})
        return q


def report_scope(actor: Actor) -> ReportScope:
    if actor.is_admin and actor.is_internal:
        return ReportScope(actor.organization_id, None)
    if actor.role == Role.VENDOR_MANAGER and actor.vendor_id is not None:
        return ReportScope(actor.organization_id, actor.vendor_id)
    raise AccessDenied("Reports are for admins and vendor managers.")


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def sla_report(*, actor: Actor, since: datetime, until: datetime) -> dict[str, Any]:
    """Share of people's decisions made before the case was due, by kind, severity and tier. Admins
    also get the cases now waiting past their due time, and how many cases the triage model closed
    (an auto-close is instant, so it is counted apart and never lifts SLA compliance)."""
    scope = report_scope(actor)
    decisions = Decision.objects.filter(
        scope.q(org_field="case__organization_id"), created_at__gte=since, created_at__lt=until,
        action__in=FINAL_ACTIONS,
    )
    rows = (
        decisions.exclude(kind=DecisionKind.MODEL).values("kind", "case__severity", "tier")
        .annotate(decided=Count("id"), within=Count("id", filter=Q(within_sla=True)))
        .order_by("kind", "-case__severity", "tier")
    )
    groups = [
        {"kind": r["kind"], "severity": r["case__severity"], "tier": r["tier"], "decided": r["decided"],
         "within_sla": r["within"], "compliance": share(r["within"], r["decided"])}
        for r in rows
    ]
    decided = sum(g["decided"] for g in groups)
    within = sum(g["within_sla"] for g in groups)
    out: dict[str, Any] = {
        "since": since, "until": until, "vendor": scope.vendor_id, "groups": groups,
        "total": {"decided": decided, "within_sla": within, "compliance": share(within, decided)},
    }
    if scope.vendor_id is None:
        now = timezone.now()
        breached = (
            Case.objects.filter(organization_id=scope.organization_id, state__in=QUEUE_STATES, due_at__lte=now)
            .values("severity", "tier").annotate(n=Count("id")).order_by("-severity", "tier")
        )
        out["open_breached"] = [{"severity": r["severity"], "tier": r["tier"], "cases": r["n"]} for r in breached]
        out["auto_closed"] = decisions.filter(kind=DecisionKind.MODEL).count()
    return out


def _caps(organization_id: int) -> dict[str, int]:
    caps = review_settings_get(organization_id=organization_id).exposure_caps or {}
    return {str(k): int(v) for k, v in caps.items()}


def wellness_report(*, actor: Actor, day: date | None = None) -> dict[str, Any]:
    """Exposure by category for one day, breaks, and how many reviewers are resting: aggregates over
    reviewers only, no per-person rows and nothing about any case or decision."""
    scope = report_scope(actor)
    now = timezone.now()
    day = day or timezone.localdate(now)
    caps = _caps(scope.organization_id)
    exposure = ExposureDay.objects.filter(scope.q(), day=day)
    by_category = (
        exposure.values("category")
        .annotate(reviewers=Count("reviewer_id", distinct=True), served=Sum("items"), severe_served=Sum("severe"),
                  max_per_reviewer=Max("items"))
        .order_by("category")
    )
    at_cap: dict[str, int] = defaultdict(int)
    for category, items in exposure.values_list("category", "items"):
        if category in caps and items >= caps[category]:
            at_cap[category] += 1
    categories = [
        {"category": r["category"], "reviewers": r["reviewers"], "items": r["served"], "severe": r["severe_served"],
         "avg_per_reviewer": round(r["served"] / r["reviewers"], 2) if r["reviewers"] else None,
         "max_per_reviewer": r["max_per_reviewer"], "cap": caps.get(r["category"]),
         "reviewers_at_cap": at_cap.get(r["category"], 0)}
        for r in by_category
    ]
    start, end = _day_bounds(day)
    breaks = WellnessBreak.objects.filter(scope.q(), started_at__gte=start, started_at__lt=end)
    resting: QuerySet[ReviewerWellness] = ReviewerWellness.objects.filter(
        break_until__gt=now, reviewer__organization_id=scope.organization_id
    )
    if scope.vendor_id is not None:
        resting = resting.filter(reviewer__vendor_id=scope.vendor_id)
    return {
        "day": day, "vendor": scope.vendor_id, "caps": caps, "categories": categories,
        "reviewers": exposure.values("reviewer_id").distinct().count(),
        "breaks": breaks.count(), "on_break_now": resting.count(),
    }


def quality_report(*, actor: Actor, since: datetime) -> dict[str, Any]:
    """QA agreement per reviewer (accuracy: the blind re-review took the same action; codes: mean
    overlap of policy codes), Cohen's kappa over all QA pairs, and appeal overturn rates per reviewer
    and per category. The triage model's auto-closes are no reviewer's work: their QA and appeals are
    reported apart, under ``model`` (admins only)."""
    scope = report_scope(actor)
    all_qa = QAReview.objects.filter(scope.q(), created_at__gte=since)
    qa = all_qa.exclude(original__kind=DecisionKind.MODEL)
    names = dict(User.objects.filter(organization_id=scope.organization_id).values_list("pk", "username"))
    per_reviewer = [
        {"reviewer": r["original_reviewer_id"], "username": names.get(r["original_reviewer_id"], ""),
         "sampled": r["n"], "agreed": r["agreed"], "accuracy": share(r["agreed"], r["n"]),
         "code_agreement": round(r["codes"], 4) if r["codes"] is not None else None}
        for r in qa.values("original_reviewer_id")
        .annotate(n=Count("id"), agreed=Count("id", filter=Q(action_agrees=True)), codes=Avg("code_agreement"))
        .order_by("original_reviewer_id")
    ]
    pairs = list(qa.values_list("original__action", "qa_decision__action"))
    all_appeals = Appeal.objects.filter(
        scope.q(vendor_field="decision__vendor_id", org_field="case__organization_id"),
        resolved_at__gte=since, state__in=[AppealState.UPHELD, AppealState.OVERTURNED],
    )
    appeals = all_appeals.exclude(decision__kind=DecisionKind.MODEL)
    overturned = Count("id", filter=Q(state=AppealState.OVERTURNED))
    by_reviewer = [
        {"reviewer": r["decision__reviewer_id"], "username": names.get(r["decision__reviewer_id"], ""),
         "appealed": r["n"], "overturned": r["o"], "overturn_rate": share(r["o"], r["n"])}
        for r in appeals.values("decision__reviewer_id").annotate(n=Count("id"), o=overturned)
        .order_by("decision__reviewer_id")
    ]
    by_category = [
        {"category": r["case__category"], "appealed": r["n"], "overturned": r["o"],
         "overturn_rate": share(r["o"], r["n"])}
        for r in appeals.values("case__category").annotate(n=Count("id"), o=overturned).order_by("case__category")
    ]
    agreed = sum(1 for a, b in pairs if a == b)
    out: dict[str, Any] = {
        "since": since, "vendor": scope.vendor_id,
        "qa": {"sampled": len(pairs), "agreed": agreed, "accuracy": share(agreed, len(pairs)),
               "kappa": cohen_kappa(pairs), "reviewers": per_reviewer},
        "appeals": {"by_reviewer": by_reviewer, "by_category": by_category},
    }
    if scope.vendor_id is None:
        model_qa = all_qa.filter(original__kind=DecisionKind.MODEL).aggregate(
            n=Count("id"), agreed=Count("id", filter=Q(action_agrees=True))
        )
        model_appeals = all_appeals.filter(decision__kind=DecisionKind.MODEL).aggregate(n=Count("id"), o=overturned)
        out["model"] = {
            "qa": {"sampled": model_qa["n"], "agreed": model_qa["agreed"],
                   "accuracy": share(model_qa["agreed"], model_qa["n"])},
            "appeals": {"appealed": model_appeals["n"], "overturned": model_appeals["o"],
                        "overturn_rate": share(model_appeals["o"], model_appeals["n"])},
        }
    return out
