"""The moderation console: the review queue and the case being reviewed (``/console/``), and a
read-only case page (``/console/cases/<id>/``). Views are thin: they read through review's
selectors with the acting user; cases and their content arrive in the page through the REST API,
which serves the item's redacted text only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone

from review import selectors as review_selectors
from review.models import DecisionAction, PolicyVersion, Tier
from review.services.policy import policy_default, review_settings_get
from workforce.access import AccessDenied, Actor, actor_for

API_ROOT = "/api/v1"
# The decision keys: one letter picks the action, Enter (or a digit for a policy code) confirms.
ACTION_KEYS = [
    {"key": "A", "action": DecisionAction.ALLOW.value, "title": "Allow"},
    {"key": "R", "action": DecisionAction.REMOVE.value, "title": "Remove"},
    {"key": "G", "action": DecisionAction.RESTRICT.value, "title": "Age-gate"},
    {"key": "E", "action": DecisionAction.ESCALATE.value, "title": "Escalate"},
]


def _actor(request: HttpRequest) -> Actor:
    try:
        return actor_for(request.user)
    except AccessDenied as e:
        raise PermissionDenied(str(e)) from e


def console_config(request: HttpRequest, actor: Actor, policy: PolicyVersion, tier: int) -> dict[str, Any]:
    """What console.js needs, embedded in the page as JSON. No case content: cases arrive through
    the claim API."""
    settings = review_settings_get(organization_id=actor.organization_id)
    return {
        "api": API_ROOT,
        "ws": "/ws/review/",
        "csrf_token": get_token(request),
        "me": {"id": actor.user.pk, "username": actor.user.username, "tier": tier,
               "tier_name": Tier(tier).label, "vendor": actor.vendor_id},
        "policy": {
            "version": policy.version,
            "name": policy.name,
            "categories": [
                {"code": c.code, "name": c.name, "warning": c.warning, "graphic": c.graphic, "index": i + 1}
                for i, c in enumerate(policy.categories.all())
            ],
        },
        "actions": ACTION_KEYS,
        "lease_seconds": settings.lease_seconds,
        "server_now": timezone.now().isoformat(),
        # PENDING (Privacy): the reveal endpoint answers 501 until the Privacy engineer wires it up.
        "reveal_url": API_ROOT + "/cases/{id}/reveal",
    }


@login_required
def console(request: HttpRequest) -> HttpResponse:
    """The review queue with SLA timers, and the case under review, decided from the keyboard."""
    actor = _actor(request)
    tier = review_selectors.reviewer_tier(actor)
    if tier == 0:
        raise PermissionDenied("The moderation console is for reviewers.")
    policy = policy_default(organization_id=actor.organization_id)
    config = console_config(request, actor, policy, tier)
    return render(request, "frontend/console.html", {"config": config, "actions": ACTION_KEYS,
                                                      "categories": config["policy"]["categories"]})


@login_required
def console_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """One case as the acting user may see it: redacted content, decisions, appeals, history."""
    actor = _actor(request)
    try:
        case = review_selectors.case_detail(actor, case_id)
    except ObjectDoesNotExist as e:
        raise Http404("No such case.") from e
    history = [] if case.qa_of_id else review_selectors.case_history(actor, case)
    context = {
        "case": case,
        "item": case.item,
        "decisions": list(case.decisions.all()),
        "appeals": list(case.appeals.all()),
        "history": history,
        "can_review": review_selectors.reviewer_tier(actor) > 0,
    }
    return render(request, "frontend/console_case.html", context)
