"""Reads for annotation, always through the acting user (workforce.access.Actor).

Vendor isolation: a vendor user sees only projects routed to their vendor and, in them, only items
not pinned elsewhere or internal-only. No selector here returns raw item text to anyone; item
reads go through ``items_visible``, which defers the sealed raw text and annotates ``view_text``, the
stored view of the actor's clearance (privacy.clearance).
"""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from privacy.clearance import VIEW_FIELDS, view_field
from workforce.access import AccessDenied, Actor
from workforce.models import Role

from .models import Annotation, ImportJob, Item, Project


def projects_visible(actor: Actor) -> QuerySet[Project]:
    qs = Project.objects.filter(organization_id=actor.organization_id)
    if not actor.is_internal:
        qs = qs.filter(routes__vendor_id=actor.vendor_id or 0, routes__active=True)
    return qs.order_by("-priority", "name").distinct()


def project_get(actor: Actor, project_id: int) -> Project:
    project = projects_visible(actor).filter(pk=project_id).first()
    if project is None:
        raise AccessDenied("No such project.")
    return project


def item_scope(actor: Actor) -> Q:
    """The Q an item query must carry for this actor (vendor routing and pins)."""
    if actor.is_internal:
        return Q(project__organization_id=actor.organization_id)
    return Q(
        project__organization_id=actor.organization_id,
        project__routes__vendor_id=actor.vendor_id or 0,
        project__routes__active=True,
        internal_only=False,
    ) & (Q(pinned_vendor__isnull=True) | Q(pinned_vendor_id=actor.vendor_id))


def items_visible(actor: Actor) -> QuerySet[Item]:
    if actor.role == Role.VENDOR_MANAGER:
        # Managers run people, not items: they see counts, not content.
        return Item.objects.none()
    view = view_field(actor.clearance)
    return (
        Item.objects.filter(item_scope(actor))
        .defer("text_sealed", *(f for f in VIEW_FIELDS if f != view))
        .annotate(view_text=F(view))  # type: ignore[no-redef]  # Item.view_text is declared, not a column
        .order_by("-id")
    )


def item_get(actor: Actor, item_id: int) -> Item:
    item = items_visible(actor).filter(pk=item_id).first()
    if item is None:
        raise AccessDenied("No such item.")
    return item


def annotations_visible(actor: Actor) -> QuerySet[Annotation]:
    qs = Annotation.objects.filter(item__project__organization_id=actor.organization_id)
    if actor.is_admin or (actor.has_role(Role.ML_ENGINEER) and actor.is_internal):
        return qs.order_by("-id")
    if actor.role in (Role.VENDOR_MANAGER,) or (actor.role == Role.REVIEWER and not actor.is_internal):
        return qs.filter(vendor_id=actor.vendor_id or 0).order_by("-id")
    if actor.role == Role.REVIEWER:
        return qs.order_by("-id")
    return qs.filter(annotator_id=actor.user.pk).order_by("-id")


def imports_visible(actor: Actor) -> QuerySet[ImportJob]:
    if not (actor.is_internal and actor.has_role(Role.ML_ENGINEER)):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(project__organization_id=actor.organization_id).order_by("-id")
