"""Server-rendered pages. Views are thin: they read through selectors with the acting user."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotation import selectors as annotation_selectors
from workforce.access import actor_for, users_visible, vendors_visible
from workforce.models import Role


class LoginView(auth_views.LoginView):
    template_name = "frontend/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    projects = annotation_selectors.projects_visible(actor).prefetch_related("routes__vendor")
    context = {
        "actor": actor,
        "projects": projects,
        "vendors": vendors_visible(actor),
        "people": users_visible(actor) if actor.has_role(Role.VENDOR_MANAGER) else None,
        "imports": annotation_selectors.imports_visible(actor)[:10],
    }
    return render(request, "frontend/home.html", context)
