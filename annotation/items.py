"""Writes of item content outside imports: create one item, edit its text, plant a canary item.

Every path stores the same three things the import pipeline does: the sealed raw text and the two
redacted views (restricted, standard), computed before the row is written. Nothing else writes them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction

from privacy import canaries
from privacy.audit import record as audit_record
from privacy.content import seal_text
from privacy.models import AuditAction, Canary
from privacy.redaction import REDACTION_VERSION, project_redactor
from workforce.access import AccessDenied, Actor
from workforce.models import Role

from . import media
from .models import Item, Project


def content_fields(*, project_id: int, external_id: str, text: str) -> dict[str, Any]:
    """The stored columns for ``text``: sealed raw, restricted view, standard view, version."""
    (views,) = project_redactor(project_id).views([text])
    return {
        "text_sealed": seal_text(text, project_id=project_id, external_id=external_id),
        "text_redacted": views.restricted,
        "text_pseudonymized": views.standard,
        "redaction_version": REDACTION_VERSION,
    }


def item_create(*, project: Project, external_id: str, text: str, **fields: Any) -> Item:
    """One item, redacted like an imported one. For services, demo data and tests."""
    if "content_hash" not in fields:
        fields["content_hash"] = hashlib.sha256(text.encode()).hexdigest()
    return Item.objects.create(
        project=project,
        external_id=external_id,
        **content_fields(project_id=project.pk, external_id=external_id, text=text),
        **fields,
    )


def check_item_edit(actor: Actor) -> None:
    if not (actor.is_internal and actor.is_admin):
        raise AccessDenied("Only admins may edit item content.")


def item_edit_text(*, actor: Actor, item: Item, text: str, reason: str) -> Item:
    """Replace an item's text: views recomputed, raw re-sealed, the edit audited (it touches raw content)."""
    check_item_edit(actor)
    with transaction.atomic():
        fields = content_fields(project_id=item.project_id, external_id=item.external_id, text=text)
        Item.objects.filter(pk=item.pk).update(**fields)
        audit_record(
            user=actor.user,
            action=AuditAction.REVEAL,
            reason=reason or "item text edited",
            item_ids=[item.pk],
            detail={"edit": True},
        )
    item.refresh_from_db()
    return item


def check_canary_plant(actor: Actor) -> None:
    if not (actor.is_internal and actor.is_admin):
        raise AccessDenied("Only admins may plant canaries.")


def canary_plant(
    *, actor: Actor, project: Project, kinds: tuple[str, ...] = canaries.KINDS
) -> tuple[Item, list[Canary]]:
    """Plant one canary item in ``project`` holding a fresh synthetic value of each kind."""
    check_canary_plant(actor)
    if project.organization_id != actor.organization_id:
        raise AccessDenied("Not your organization's project.")
    values = {kind: canaries.new_value(kind) for kind in kinds}
    text = canaries.canary_text(values)
    with transaction.atomic():
        external_id = "canary-" + hashlib.sha256(text.encode()).hexdigest()[:16]
        item = item_create(project=project, external_id=external_id, text=text, metadata={})
        planted = [
            Canary.objects.create(
                organization_id=project.organization_id,
                project_id=project.pk,
                item_id=item.pk,
                kind=kind,
                value=value,
                created_by=actor.user,
            )
            for kind, value in values.items()
        ]
        audit_record(
            user=actor.user,
            action=AuditAction.CANARY_PLANT,
            reason="canary planted",
            item_ids=[item.pk],
            detail={"kinds": list(values), "canary_ids": [c.pk for c in planted]},
        )
        transaction.on_commit(canaries.bump_version)
    return item, planted


def item_mark_regions(*, actor: Actor, item: Item, regions: list[list[int]]) -> Item:
    """Blur reviewer-marked regions into the item's stored image (internal reviewers and admins)."""
    if not (actor.is_internal and actor.has_role(Role.REVIEWER, Role.ADMIN)):
        raise AccessDenied("Only internal reviewers and admins mark image regions.")
    new_value = media.add_regions(item.media, regions)
    with transaction.atomic():
        Item.objects.filter(pk=item.pk).update(media=new_value)
        audit_record(
            user=actor.user,
            action=AuditAction.IMAGE_REGIONS,
            reason="image regions blurred",
            item_ids=[item.pk],
            detail={"regions": regions, "media": new_value},
        )
    item.media = new_value
    return item
