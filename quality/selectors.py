"""Quality reads for the dashboard and scorecards, from the rollups only (never the annotation table).

Who sees what: admins see every vendor of their organization; a vendor manager sees only their own
vendor (asking for another vendor is "no such vendor"); everyone else sees nothing here.
Cost is what billing would charge: per task, accepted tasks x rate; per hour, accepted handling
time x rate (``billing.line_amount``, unrounded per day for the charts).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, Sum

from annotation.models import Project
from workforce.access import AccessDenied, Actor
from workforce.models import Role, User, Vendor

from . import metrics
from .billing import default_basis
from .models import (
    Adjudication,
    AdjudicationState,
    AgreementCell,
    AgreementScope,
    AnnotatorDay,
    AnnotatorPairs,
    AnnotatorStanding,
    BillingBasis,
    Notice,
    QualityConfig,
    SlaDay,
    VendorDay,
)

SUMS = ("submitted", "gold_seen", "gold_correct", "handling_ms", "rejected", "rejected_ms")
MS_PER_HOUR = Decimal(3_600_000)


@dataclass(frozen=True)
class Scope:
    organization_id: int
    vendor_key: int | None  # None: every vendor


def dashboard_scope(actor: Actor, vendor_id: int | None = None) -> Scope:
    """The vendors the actor may see figures of, narrowed to ``vendor_id`` (0: internal staff)."""
    if actor.is_admin:
        return Scope(actor.organization_id, vendor_id)
    if actor.role == Role.VENDOR_MANAGER and actor.vendor_id:
        if vendor_id is not None and vendor_id != actor.vendor_id:
            raise AccessDenied("No such vendor.")
        return Scope(actor.organization_id, actor.vendor_id)
    raise AccessDenied("The dashboard is for admins and vendor managers.")


def _filter(qs: Any, scope: Scope, start: date, end: date, project_id: int | None) -> Any:
    qs = qs.filter(organization_id=scope.organization_id, day__gte=start, day__lte=end)
    if scope.vendor_key is not None:
        qs = qs.filter(vendor_key=scope.vendor_key)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return qs


def _vendors(scope: Scope) -> dict[int, Vendor]:
    qs = Vendor.objects.filter(organization_id=scope.organization_id)
    if scope.vendor_key is not None:
        qs = qs.filter(pk=scope.vendor_key)
    return {v.pk: v for v in qs}


def _cost(vendor: Vendor | None, row: dict[str, Any]) -> Decimal:
    if vendor is None:
        return Decimal(0)
    accepted = int(row["submitted"]) - int(row["rejected"])
    if default_basis(vendor) == BillingBasis.TASK:
        return accepted * vendor.rate_per_task
    return Decimal(int(row["handling_ms"]) - int(row["rejected_ms"])) * vendor.rate_per_hour / MS_PER_HOUR


def _figures(row: dict[str, Any], cost: Decimal, hist: list[int] | None = None) -> dict[str, Any]:
    submitted, rejected = int(row["submitted"] or 0), int(row["rejected"] or 0)
    accepted = submitted - rejected
    out: dict[str, Any] = {
        "submitted": submitted,
        "accepted": accepted,
        "rejected": rejected,
        "gold_seen": int(row["gold_seen"] or 0),
        "gold_accuracy": metrics.share(int(row["gold_correct"] or 0), int(row["gold_seen"] or 0)),
        "rework_rate": metrics.share(rejected, submitted),
        "mean_handling_ms": metrics.share(int(row["handling_ms"] or 0), submitted),
        "cost": str(cost.quantize(Decimal("0.01"))),
        "cost_per_accepted": str((cost / accepted).quantize(Decimal("0.0001"))) if accepted > 0 else None,
    }
    if hist is not None:
        out["median_handling_ms"] = metrics.hist_quantile(hist)
    return out


def _sums(qs: Any, *group: str) -> list[dict[str, Any]]:
    return list(qs.values(*group).annotate(**{k: Sum(k) for k in SUMS}).order_by(*group))


def _grouped(
    model: Any, scope: Scope, start: date, end: date, project_id: int | None, keys: tuple[str, ...]
) -> dict[Any, tuple[dict[str, int], list[int]]]:
    """Counters and handling-time histograms of the day rows in range, summed by ``keys`` (one key:
    the value itself, else a tuple). On PostgreSQL one grouped statement sums the histogram
    element-wise too (decoding every row's JSON in Python costs several times more); elsewhere the
    rows are read and summed here."""
    if connection.vendor == "postgresql":
        where = ["organization_id = %s", "day >= %s", "day <= %s"]
        params: list[Any] = [scope.organization_id, start, end]
        if scope.vendor_key is not None:
            where.append("vendor_key = %s")
            params.append(scope.vendor_key)
        if project_id is not None:
            where.append("project_id = %s")
            params.append(project_id)
        group = ", ".join(keys)
        sums = ", ".join(f"SUM({k})" for k in SUMS)
        hist = ", ".join(f"SUM(COALESCE((hist->>{i})::int, 0))" for i in range(metrics.HIST_BUCKETS))
        sql = f"SELECT {group}, {sums}, {hist} FROM {model._meta.db_table} WHERE {' AND '.join(where)} GROUP BY {group}"
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        w, n = len(keys), len(SUMS)
        return {
            (row[0] if w == 1 else tuple(row[:w])): (
                dict(zip(SUMS, (int(v or 0) for v in row[w : w + n]), strict=True)),
                [int(v or 0) for v in row[w + n :]],
            )
            for row in rows
        }
    qs = _filter(model.objects.all(), scope, start, end, project_id)
    return _group(list(qs.values_list(*keys, *SUMS, "hist")), len(keys))


def _group(rows: list[tuple[Any, ...]], width: int) -> dict[Any, tuple[dict[str, int], list[int]]]:
    """Sum counters and histograms of rows by their first ``width`` fields."""
    sums: dict[Any, list[int]] = {}
    hists: dict[Any, list[list[int]]] = defaultdict(list)
    n = len(SUMS)
    for row in rows:
        key = row[0] if width == 1 else row[:width]
        acc = sums.get(key)
        if acc is None:
            acc = sums[key] = [0] * n
        for i in range(n):
            acc[i] += row[width + i] or 0
        hist = row[width + n]
        if hist:
            hists[key].append(hist)
    out: dict[Any, tuple[dict[str, int], list[int]]] = {}
    for key, acc in sums.items():
        total: list[int] = []
        for hist in hists.get(key, []):
            metrics.hist_add(total, hist)
        out[key] = (dict(zip(SUMS, acc, strict=True)), total)
    return out


def _sla(scope: Scope, start: date, end: date) -> tuple[dict[int, tuple[int, int]], dict[date, tuple[int, int]]]:
    qs = SlaDay.objects.filter(organization_id=scope.organization_id, day__gte=start, day__lte=end)
    if scope.vendor_key is not None:
        qs = qs.filter(vendor_key=scope.vendor_key)
    by_vendor: dict[int, tuple[int, int]] = {}
    by_day: dict[date, tuple[int, int]] = {}
    for vk, day, decided, within in qs.values_list("vendor_key", "day", "decided", "within_sla"):
        a, b = by_vendor.get(vk, (0, 0))
        by_vendor[vk] = (a + decided, b + within)
        a, b = by_day.get(day, (0, 0))
        by_day[day] = (a + decided, b + within)
    return by_vendor, by_day


def _vendor_alpha(scope: Scope, project_id: int | None) -> dict[int, float | None]:
    qs = AgreementCell.objects.filter(
        project__organization_id=scope.organization_id, scope=AgreementScope.VENDOR, dimension=""
    )
    if scope.vendor_key is not None:
        qs = qs.filter(vendor_key=scope.vendor_key)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    pooled: dict[int, dict[str, float]] = defaultdict(dict)
    for vk, coincidence in qs.values_list("vendor_key", "coincidence"):
        metrics.merge(pooled[vk], coincidence)
    return {vk: metrics.krippendorff_alpha(metrics.unpack(m)) for vk, m in pooled.items()}


def dashboard(
    actor: Actor, *, start: date, end: date, vendor_id: int | None = None, project_id: int | None = None
) -> dict[str, Any]:
    """Charts and scorecards for [start, end] (days, inclusive), with the previous period of the same
    length for trends. A handful of grouped queries over the day rollups."""
    scope = dashboard_scope(actor, vendor_id)
    vendors = _vendors(scope)
    span = (end - start).days + 1
    prev = _filter(VendorDay.objects.all(), scope, start - timedelta(days=span), start - timedelta(days=1), project_id)

    by_day_vendor = _grouped(VendorDay, scope, start, end, project_id, ("day", "vendor_key"))
    by_vendor: dict[int, tuple[dict[str, int], list[int]]] = {}
    for (_day, vk), (row, hist) in by_day_vendor.items():
        acc = by_vendor.setdefault(vk, (dict.fromkeys(SUMS, 0), []))
        for k in SUMS:
            acc[0][k] += row[k]
        metrics.hist_add(acc[1], hist)
    days: dict[date, dict[str, Any]] = {}
    vendor_cost: dict[int, Decimal] = defaultdict(Decimal)
    for (day_key, vk), (row, _hist) in by_day_vendor.items():
        d = days.setdefault(day_key, dict.fromkeys(SUMS, 0) | {"cost": Decimal(0)})
        for k in SUMS:
            d[k] += row[k]
        cost = _cost(vendors.get(vk), row)
        d["cost"] += cost
        vendor_cost[vk] += cost
    sla_vendor, sla_day = _sla(scope, start, end)
    series = []
    day = start
    while day <= end:
        d = days.get(day, dict.fromkeys(SUMS, 0) | {"cost": Decimal(0)})
        decided, within = sla_day.get(day, (0, 0))
        series.append(
            {"day": day.isoformat(), **_figures(d, d["cost"]), "sla_compliance": metrics.share(within, decided)}
        )
        day += timedelta(days=1)

    prev_rows = {row["vendor_key"]: row for row in _sums(prev, "vendor_key")}
    alphas = _vendor_alpha(scope, project_id)
    cards = []
    for vk in sorted(by_vendor):
        row, hist = by_vendor[vk]
        vendor = vendors.get(vk)
        decided, within = sla_vendor.get(vk, (0, 0))
        card = {
            "vendor": vk,
            "name": vendor.name if vendor else "Internal",
            **_figures(row, vendor_cost[vk], hist),
            "throughput_per_day": round(int(row["submitted"]) / span, 2),
            "agreement_alpha": alphas.get(vk),
            "sla_compliance": metrics.share(within, decided),
        }
        before = prev_rows.get(vk)
        if before is not None:
            prior = _figures(before, _cost(vendor, before))
            card["trend"] = {
                k: (card[k] - prior[k]) if card[k] is not None and prior[k] is not None else None
                for k in ("submitted", "gold_accuracy", "rework_rate", "mean_handling_ms")
            }
        else:
            card["trend"] = None
        cards.append(card)
    totals = {k: sum(int(s[k]) for s in series) for k in ("submitted", "accepted", "rejected")}
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "vendor": scope.vendor_key,
        "project": project_id,
        "series": series,
        "scorecards": cards,
        "totals": totals,
        "vendors": [{"id": v.pk, "name": v.name} for v in vendors.values()],
    }


def annotators(
    actor: Actor, *, start: date, end: date, vendor_id: int | None = None, project_id: int | None = None
) -> list[dict[str, Any]]:
    """Drill-down: one row per annotator of the visible vendors, with gold standing and Cohen's kappa
    against their peers."""
    scope = dashboard_scope(actor, vendor_id)
    grouped = _grouped(AnnotatorDay, scope, start, end, project_id, ("annotator_id", "vendor_key"))
    ids = sorted({aid for aid, _vk in grouped})
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
    standing_qs = AnnotatorStanding.objects.filter(annotator_id__in=ids)
    pairs_qs = AnnotatorPairs.objects.filter(annotator_id__in=ids)
    if project_id is not None:
        standing_qs = standing_qs.filter(project_id=project_id)
        pairs_qs = pairs_qs.filter(project_id=project_id)
    paused: dict[int, list[int]] = defaultdict(list)
    for aid, pid, is_paused in standing_qs.values_list("annotator_id", "project_id", "paused"):
        if is_paused:
            paused[aid].append(pid)
    tables: dict[int, dict[str, float]] = defaultdict(dict)
    for aid, table in pairs_qs.values_list("annotator_id", "pairs"):
        metrics.merge(tables[aid], table)
    vendors = _vendors(scope)
    out = []
    for (aid, vk), (r, hist) in sorted(grouped.items()):
        cost = _cost(vendors.get(vk), r)
        out.append(
            {
                "annotator": aid,
                "username": names.get(aid, ""),
                "vendor": vk,
                **_figures(r, cost, hist),
                "cohen_kappa": metrics.cohen_kappa(metrics.unpack(tables.get(aid, {}))),
                "paused_in": paused.get(aid, []),
            }
        )
    return out


def agreement_project(actor: Actor, *, project_id: int) -> Project:
    """The project, if the actor may see quality figures of it (its organization's dashboard)."""
    return _scoped_project(dashboard_scope(actor), project_id)


def _scoped_project(scope: Scope, project_id: int) -> Project:
    """A vendor manager sees quality figures only of projects routed to their vendor (now or before)."""
    qs = Project.objects.filter(pk=project_id, organization_id=scope.organization_id)
    if scope.vendor_key is not None:
        qs = qs.filter(routes__vendor_id=scope.vendor_key)
    project = qs.first()
    if project is None:
        raise AccessDenied("No such project.")
    return project


def agreement(actor: Actor, *, project_id: int) -> dict[str, Any]:
    """Fleiss' kappa and Krippendorff's alpha (nominal; interval too on an ordinal project) per dimension,
    for the project and per vendor; Cohen's kappa per annotator."""
    scope = dashboard_scope(actor)
    project = _scoped_project(scope, project_id)
    ordinal = bool(QualityConfig.objects.filter(project_id=project_id).values_list("ordinal", flat=True).first())
    order = {str(label["value"]): float(i) for i, label in enumerate(project.label_schema.get("labels", []))}
    cells = AgreementCell.objects.filter(project_id=project_id)
    if scope.vendor_key is not None:
        cells = cells.filter(scope=AgreementScope.VENDOR, vendor_key=scope.vendor_key)
    out_cells = []
    for cell in cells.order_by("scope", "vendor_key", "dimension"):
        matrix = metrics.unpack(cell.coincidence)
        entry: dict[str, Any] = {
            "scope": cell.scope,
            "vendor": cell.vendor_key if cell.scope == AgreementScope.VENDOR else None,
            "dimension": cell.dimension or "all",
            "units": int(cell.units),
            "fleiss_kappa": metrics.fleiss_kappa_from(cell.units, cell.sum_p, cell.totals),
            "alpha_nominal": metrics.krippendorff_alpha(matrix),
        }
        if ordinal and cell.dimension == "" and all(c in order for pair in matrix for c in pair):
            entry["alpha_interval"] = metrics.krippendorff_alpha(matrix, metrics.interval_delta, order)
        out_cells.append(entry)
    pairs = AnnotatorPairs.objects.filter(project_id=project_id)
    if scope.vendor_key is not None:
        pairs = pairs.filter(vendor_key=scope.vendor_key)
    names = dict(User.objects.filter(pk__in=pairs.values("annotator_id")).values_list("pk", "username"))
    annotator_rows = [
        {
            "annotator": aid,
            "username": names.get(aid, ""),
            "vendor": vk,
            "cohen_kappa": metrics.cohen_kappa(metrics.unpack(table)),
            "pairs": int(sum(table.values())),
        }
        for aid, vk, table in pairs.values_list("annotator_id", "vendor_key", "pairs")
    ]
    return {"project": project_id, "ordinal": ordinal, "cells": out_cells, "annotators": annotator_rows}


def notices(actor: Actor, *, limit: int = 20) -> list[dict[str, Any]]:
    scope = dashboard_scope(actor)
    qs = Notice.objects.filter(
        Q(project__organization_id=scope.organization_id)
        | Q(project__isnull=True, vendor__organization_id=scope.organization_id)
    )
    if scope.vendor_key is not None:
        qs = qs.filter(vendor_id=scope.vendor_key)
    return [
        {
            "id": n.pk,
            "kind": n.kind,
            "message": n.message,
            "vendor": n.vendor_id,
            "project": n.project_id,
            "annotator": n.annotator_id,
            "created_at": n.created_at.isoformat(),
        }
        for n in qs.order_by("-created_at", "-id")[:limit]
    ]


def adjudications_open(actor: Actor, *, project_id: int | None = None, limit: int = 50) -> list[Adjudication]:
    """Open disagreements, for internal reviewers and admins."""
    if not actor.is_internal or not actor.has_role(Role.REVIEWER):
        raise AccessDenied("Adjudication is for internal reviewers.")
    qs = Adjudication.objects.filter(project__organization_id=actor.organization_id, state=AdjudicationState.OPEN)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return list(qs.order_by("id")[:limit])


def overlap_targets(*, project_id: int, base: int) -> dict[str, int]:
    """Adaptive overlap: how many annotators an item needs given the agreement on each label it was
    given so far (``metrics.item_overlap`` takes the maximum over an item's labels)."""
    cfg = QualityConfig.objects.filter(project_id=project_id).first() or QualityConfig(project_id=project_id)
    out: dict[str, int] = {}
    for dimension, coincidence in AgreementCell.objects.filter(
        project_id=project_id, scope=AgreementScope.PROJECT, dimension__startswith="label:"
    ).values_list("dimension", "coincidence"):
        alpha = metrics.krippendorff_alpha(metrics.unpack(coincidence))
        out[dimension.removeprefix("label:")] = metrics.overlap_for(
            alpha,
            base=base,
            lo=cfg.min_overlap,
            hi=cfg.max_overlap,
            low=cfg.low_agreement,
            high=cfg.high_agreement,
        )
    return out
