"""Server-rendered pages. Views are thin: they read through selectors with the acting user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render

from annotation import selectors as annotation_selectors
from annotation.models import Project
from annotation.schema import parse_schema
from workforce.access import AccessDenied, Actor, actor_for, users_visible, vendors_visible
from workforce.models import Role
from workforce.throttles import login_throttle_wait, too_many_requests

from .guidelines import render_guidelines

# Roles that work a queue item by item (admins pass every role check, so they may try a queue too).
WORKSPACE_ROLES = (Role.ANNOTATOR, Role.REVIEWER)
API_ROOT = "/api/v1"


class LoginView(auth_views.LoginView):
    template_name = "frontend/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = login_throttle_wait(request)  # every attempt counts, per address and per username
        if wait is not None:
            return too_many_requests(wait)
        return super().post(request, *args, **kwargs)


def _actor(request: HttpRequest) -> Actor:
    try:
        return actor_for(request.user)
    except AccessDenied as e:
        raise PermissionDenied(str(e)) from e


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    projects = annotation_selectors.projects_visible(actor).prefetch_related("routes__vendor")
    context = {
        "actor": actor,
        "projects": projects,
        "can_work": actor.has_role(*WORKSPACE_ROLES),
        "vendors": vendors_visible(actor),
        "people": users_visible(actor) if actor.has_role(Role.VENDOR_MANAGER) else None,
        "imports": annotation_selectors.imports_visible(actor)[:10],
        "api_root": API_ROOT,
    }
    return render(request, "frontend/home.html", context)


def workspace_config(request: HttpRequest, project: Project) -> dict[str, Any]:
    """What workspace.js needs to run, embedded in the page as JSON. No item content: items arrive
    through the claim API, which serves redacted text only."""
    labelset = parse_schema(project.kind, project.label_schema)
    titles = {
        str(label["value"]): str(label.get("title") or label["value"])
        for label in project.label_schema.get("labels", [])
    }
    return {
        "project": {"id": project.pk, "name": project.name, "kind": project.kind, "paused": project.paused},
        "labels": [{"value": value, "title": titles.get(value, value)} for value in labelset.ordered],
        "multi": project.kind == "multi_label",
        "spans": project.kind == "span",
        "max_labels": labelset.max_labels,
        "allow_comment": labelset.allow_comment,
        "allow_overlapping_spans": labelset.allow_overlapping_spans,
        "lease_seconds": project.lease_seconds,
        "api": API_ROOT,
        "ws": f"/ws/projects/{project.pk}/",
        "csrf_token": get_token(request),
    }


@login_required
def workspace(request: HttpRequest, project_id: int) -> HttpResponse:
    """The annotator workspace: one item at a time, labeled from the keyboard."""
    actor = _actor(request)
    try:
        project = annotation_selectors.project_get(actor, project_id)
    except AccessDenied as e:
        # Not routed to this user's vendor (or another organization): the project does not exist
        # for them, so say nothing more than a missing page would.
        raise Http404("No such project.") from e
    if not actor.has_role(*WORKSPACE_ROLES):
        raise PermissionDenied("Only annotators and reviewers work queues.")
    config = workspace_config(request, project)
    context = {
        "project": project,
        "guidelines": render_guidelines(project.guidelines),
        "config": config,
        "last_key": min(9, len(config["labels"])),  # labels past the ninth are picked with the mouse
    }
    return render(request, "frontend/workspace.html", context)
