"""The admin / vendor dashboard page (``/dashboard/``): charts of throughput, quality, cost and SLA
with date-range and vendor filters, vendor scorecards and a drill-down to annotators. The view is
thin: it checks who may see the dashboard and embeds what dashboard.js needs; every figure arrives
through the quality API, which reads rollups only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from annotation import selectors as annotation_selectors
from quality.selectors import dashboard_scope
from workforce.access import AccessDenied, Actor, actor_for, vendors_visible

API_ROOT = "/api/v1"


def _actor(request: HttpRequest) -> Actor:
    try:
        return actor_for(request.user)
    except AccessDenied as e:
        raise PermissionDenied(str(e)) from e


def dashboard_config(actor: Actor, vendor_key: int | None) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "api": API_ROOT,
        "ws": "/ws/quality/",
        "today": today.isoformat(),
        "fixed_vendor": vendor_key,  # a vendor manager's own vendor; None: admins choose
        "vendors": [{"id": v.pk, "name": v.name} for v in vendors_visible(actor)],
        "projects": [{"id": p.pk, "name": p.name} for p in annotation_selectors.projects_visible(actor)],
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    try:
        scope = dashboard_scope(actor)
    except AccessDenied as e:
        raise PermissionDenied(str(e)) from e
    config = dashboard_config(actor, scope.vendor_key)
    return render(request, "frontend/dashboard.html", {"config": config, "fixed_vendor": scope.vendor_key})
