"""The access layer: who the acting user is and what they may see. Every feature goes through it.

Vendor isolation lives here and nowhere else: selectors in other apps ask ``Actor`` for the vendor
and clearance they must filter by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .models import CLEARANCE_ORDER, Clearance, Role, User, Vendor


class AccessDenied(Exception):
    """The acting user may not do this. Carries a message safe to show them."""


@dataclass(frozen=True)
class Actor:
    user: User
    organization_id: int
    vendor_id: int | None
    role: str
    clearance: str

    @property
    def is_internal(self) -> bool:
        return self.vendor_id is None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or bool(self.user.is_superuser)

    def has_role(self, *roles: str) -> bool:
        return self.is_admin or self.role in roles

    def clears(self, level: str) -> bool:
        return CLEARANCE_ORDER[Clearance(self.clearance)] >= CLEARANCE_ORDER[Clearance(level)]


def actor_for(user: Any) -> Actor:
    """Build the Actor for an authenticated user; raises AccessDenied for anonymous users."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise AccessDenied("Sign in first.")
    if user.organization_id is None:
        raise AccessDenied("Your account belongs to no organization; ask an admin.")
    vendor: Vendor | None = user.vendor
    clearance = vendor.clearance if vendor is not None else Clearance.INTERNAL
    if vendor is not None and not vendor.active:
        raise AccessDenied("Your vendor account is inactive.")
    return Actor(
        user=user,
        organization_id=user.organization_id,
        vendor_id=user.vendor_id,
        role=user.role,
        clearance=str(clearance),
    )


def require_role(actor: Actor, *roles: str) -> None:
    if not actor.has_role(*roles):
        raise AccessDenied("Your role may not do this.")


def vendors_visible(actor: Actor) -> QuerySet[Vendor]:
    """Internal staff see their organization's vendors; vendor users see only their own."""
    qs = Vendor.objects.filter(organization_id=actor.organization_id)
    if not actor.is_internal:
        qs = qs.filter(pk=actor.vendor_id or 0)
    return qs.order_by("name")


def users_visible(actor: Actor) -> QuerySet[User]:
    """Admins see everyone in the organization; vendor managers see only their vendor's people;
    anyone else sees only themselves."""
    qs = User.objects.filter(organization_id=actor.organization_id).select_related("vendor")
    if actor.is_admin:
        return qs.order_by("username")
    if actor.role == Role.VENDOR_MANAGER:
        return qs.filter(vendor_id=actor.vendor_id or 0).order_by("username")
    return qs.filter(pk=actor.user.pk)


def internal_user(*, organization_id: int, username: str | None, roles: Sequence[str] = (Role.ADMIN,)) -> User | None:
    """The user a management command acts as: an active internal (non-vendor) user of the organization,
    the one named, else the first with one of ``roles``. None when there is none."""
    users = User.objects.filter(organization_id=organization_id, is_active=True, vendor__isnull=True)
    if username:
        return users.filter(username=username).first()
    return users.filter(role__in=roles).order_by("role", "pk").first()
