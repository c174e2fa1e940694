"""Reveal: an internal, cleared user reads one item's raw content for a limited time, with a reason.

``check_reveal`` decides, ``reveal_item`` grants and audits, ``read_revealed`` serves the raw text
again while the grant runs (each read is audited too). Callers fetch the item through their own
access-checked selector first; this module never looks items up by id for a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from workforce.access import AccessDenied, Actor
from workforce.models import Role

from . import audit
from .content import SealedItem, open_item_text
from .models import AuditAction, RevealGrant

# Roles whose work can need the original: moderation decisions, data requests, debugging a model.
REVEAL_ROLES = (Role.REVIEWER, Role.ADMIN, Role.ML_ENGINEER)
MIN_JUSTIFICATION = 10


class RevealRefused(AccessDenied):
    """The reveal was refused; the message says why and is safe to show."""


@dataclass(frozen=True)
class Revealed:
    item_id: int
    text: str
    expires_at: datetime
    grant_id: int


def check_reveal(actor: Actor, *, justification: str) -> str:
    """Who may reveal: internal staff (no vendor, whatever the vendor's clearance) in a cleared role."""
    if not actor.is_internal:
        raise RevealRefused("Vendor accounts can never see raw content.")
    if not actor.has_role(*REVEAL_ROLES):
        raise RevealRefused("Your role may not reveal raw content.")
    reason = " ".join((justification or "").split())
    if len(reason) < MIN_JUSTIFICATION:
        raise RevealRefused(f"Give a justification of at least {MIN_JUSTIFICATION} characters.")
    return reason


def _minutes() -> int:
    return int(settings.QUORUM.get("REVEAL_MINUTES", 10))


def reveal_item(*, actor: Actor, item: SealedItem, item_id: int, justification: str) -> Revealed:
    reason = check_reveal(actor, justification=justification)
    now = timezone.now()
    with transaction.atomic():
        entry = audit.record(
            user=actor.user,
            action=AuditAction.REVEAL,
            reason=reason,
            item_ids=[item_id],
            detail={"project_id": int(item.project_id), "external_id": item.external_id, "minutes": _minutes()},
        )
        grant = RevealGrant.objects.create(
            user=actor.user,
            item_id=item_id,
            justification=reason,
            expires_at=now + timedelta(minutes=_minutes()),
            audit=entry,
        )
        text = open_item_text(item)
    return Revealed(item_id=item_id, text=text, expires_at=grant.expires_at, grant_id=grant.pk)


def active_grant(actor: Actor, item_id: int) -> RevealGrant | None:
    return (
        RevealGrant.objects.filter(user_id=actor.user.pk, item_id=item_id, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


def read_revealed(*, actor: Actor, item: SealedItem, item_id: int) -> Revealed:
    """The raw text again while a grant runs (e.g. a page reload); audited, no new justification."""
    if not actor.is_internal:
        raise RevealRefused("Vendor accounts can never see raw content.")
    grant = active_grant(actor, item_id)
    if grant is None:
        raise RevealRefused("No active reveal for this item; reveal it with a justification.")
    with transaction.atomic():
        audit.record(
            user=actor.user,
            action=AuditAction.REVEAL_VIEW,
            reason=grant.justification,
            item_ids=[item_id],
            detail={"grant_id": grant.pk},
        )
        text = open_item_text(item)
    return Revealed(item_id=item_id, text=text, expires_at=grant.expires_at, grant_id=grant.pk)
