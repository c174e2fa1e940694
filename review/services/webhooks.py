"""Enforcement webhooks: endpoints (admins), a delivery per decision, re-delivering dead letters.

A decision's delivery is created in the deciding transaction and its first attempt is queued
after commit (``transaction.on_commit``) on the default Celery queue; ``review.delivery`` makes the
attempts and ``review.tasks.deliver_webhook`` retries them with exponential backoff.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

import orjson
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotation.models import Project
from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role

from ..conf import review_setting
from ..models import (
    FINAL_ACTIONS,
    Appeal,
    Case,
    Decision,
    DecisionKind,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from ..tasks import deliver_webhook
from .errors import InvalidDecision

EVENT_DECISION = "decision.created"


def check_webhook_admin(*, actor: Actor) -> None:
    require_role(actor, Role.ADMIN)
    if not actor.is_internal:
        raise AccessDenied("Only internal admins manage webhooks.")


def check_endpoint(*, actor: Actor, url: str, project_id: int | None, max_attempts: int) -> None:
    check_webhook_admin(actor=actor)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidDecision("url", "The receiver URL must be an http(s) URL.")
    if project_id is not None and not Project.objects.filter(
        pk=project_id, organization_id=actor.organization_id
    ).exists():
        raise AccessDenied("No such project.")
    if not 1 <= max_attempts <= 20:
        raise InvalidDecision("max_attempts", "Between 1 and 20 attempts.")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@transaction.atomic
def webhook_endpoint_create(
    *, actor: Actor, url: str, project_id: int | None = None, description: str = "", max_attempts: int | None = None
) -> WebhookEndpoint:
    """Register the receiver for the organization (or one project). It replaces the active one of
    the same scope. The secret is readable on the returned object once; lists never show it."""
    attempts = int(max_attempts or review_setting("REVIEW_WEBHOOK_MAX_ATTEMPTS"))
    check_endpoint(actor=actor, url=url, project_id=project_id, max_attempts=attempts)
    scope = Q(project_id=project_id) if project_id is not None else Q(project__isnull=True)
    WebhookEndpoint.objects.filter(scope, organization_id=actor.organization_id, active=True).update(active=False)
    endpoint = WebhookEndpoint(
        organization_id=actor.organization_id, project_id=project_id, url=url,
        description=description[:200], max_attempts=attempts, created_by=actor.user,
    )
    endpoint.secret = new_secret()  # sealed at rest; readable on this object for the one response
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_deactivate(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    check_webhook_admin(actor=actor)
    if endpoint.organization_id != actor.organization_id:
        raise AccessDenied("No such endpoint.")
    endpoint.active = False
    endpoint.save(update_fields=["active"])
    return endpoint


def endpoint_for_case(case: Case) -> WebhookEndpoint | None:
    """The project's active endpoint, else the organization's."""
    candidates = WebhookEndpoint.objects.filter(
        Q(project_id=case.project_id) | Q(project__isnull=True), organization_id=case.organization_id, active=True
    )
    return min(candidates, key=lambda e: e.project_id is None, default=None)


def decision_payload(decision: Decision, case: Case, appeal: Appeal | None) -> dict[str, Any]:
    """What the source system receives: the outcome and its policy basis; not who decided, nor their
    rationale, which stay internal."""
    item = case.item
    return {
        "event": EVENT_DECISION,
        "decision": {
            "id": decision.pk, "action": decision.action, "final": decision.action in FINAL_ACTIONS,
            "policy_codes": decision.policy_codes, "policy_version": decision.policy.version,
            "kind": decision.kind, "tier": decision.tier, "created_at": decision.created_at.isoformat(),
            # Made by automated means (the triage model's auto-close), as statements of reasons must say.
            "automated": decision.kind == DecisionKind.MODEL,
        },
        "case": {
            "id": case.pk, "source": case.source, "category": case.category, "severity": case.severity,
            "external_ref": case.external_ref,
        },
        "item": {"id": item.pk, "external_id": item.external_id, "project": case.project_id,
                 "source_system": item.source_system},
        "appeal": {"id": appeal.pk, "outcome": appeal.state} if appeal is not None else None,
    }


def delivery_create_for_decision(*, decision: Decision, case: Case, appeal: Appeal | None) -> WebhookDelivery | None:
    """Record the decision's delivery (the exact body, a fresh idempotency key) and queue its first
    attempt after commit. None when the organization has no receiver."""
    endpoint = endpoint_for_case(case)
    if endpoint is None:
        return None
    body = orjson.dumps(decision_payload(decision, case, appeal), option=orjson.OPT_SORT_KEYS).decode()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, organization_id=case.organization_id, decision=decision, event=EVENT_DECISION,
        body=body, next_attempt_at=timezone.now(),
    )
    delivery_id = delivery.pk
    transaction.on_commit(lambda: deliver_webhook.delay(delivery_id))
    return delivery


@transaction.atomic
def delivery_redeliver(*, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Send a dead letter again (same body, same idempotency key), with a fresh set of attempts."""
    check_webhook_admin(actor=actor)
    delivery = (
        WebhookDelivery.objects.select_for_update()
        .filter(pk=delivery_id, organization_id=actor.organization_id).first()
    )
    if delivery is None:
        raise WebhookDelivery.DoesNotExist("No such delivery.")
    if delivery.status != DeliveryStatus.DEAD:
        raise InvalidDecision("status", f"Only dead letters are re-delivered; this one is {delivery.status}.")
    delivery.status, delivery.attempts, delivery.dead_at = DeliveryStatus.PENDING, 0, None
    delivery.next_attempt_at, delivery.locked_until = timezone.now(), None
    delivery.save()
    transaction.on_commit(lambda: deliver_webhook.delay(delivery_id))
    return delivery
