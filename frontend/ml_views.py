"""The ML page (``/ml/``): snapshots, fine-tuning jobs with live progress and a loss curve, model
versions with their metrics, and promotion to a project. Internal ML engineers and admins only; the
page reads and writes through the export and inference APIs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotation import selectors as annotation_selectors
from inference.models import ModelVersion, ProjectModel
from training_export.selectors import check_export
from workforce.access import AccessDenied, actor_for


def _versions() -> list[dict[str, Any]]:
    out = []
    for v in ModelVersion.objects.select_related("parent").order_by("-id")[:50]:
        test = (v.metrics or {}).get("test") or {}
        delta = (v.metrics or {}).get("delta") or {}
        out.append({
            "name": v.name, "kind": v.kind, "status": v.status, "quantization": v.quantization,
            "parent": v.parent.name if v.parent else None, "accuracy": test.get("accuracy"),
            "macro_f1": test.get("macro_f1"), "ece": test.get("ece"), "delta_accuracy": delta.get("accuracy"),
            "created_at": v.created_at.isoformat(),
        })
    return out


@login_required
def ml_page(request: HttpRequest) -> HttpResponse:
    try:
        actor = actor_for(request.user)
        check_export(actor)
    except AccessDenied as e:
        raise PermissionDenied(str(e)) from e
    projects = list(annotation_selectors.projects_visible(actor))
    serving = dict(ProjectModel.objects.filter(project__in=projects).values_list("project_id", "model_version__name"))
    config = {
        "api": "/api/v1",
        "ws": "/ws/finetune/",
        "projects": [{"id": p.pk, "name": p.name, "model": serving.get(p.pk)} for p in projects],
        "versions": _versions(),
    }
    return render(request, "frontend/ml.html", {"config": config})
