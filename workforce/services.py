"""Writes for workforce: vendors, users, API tokens. Keyword-only, one transaction each."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .access import AccessDenied, Actor, require_role
from .models import ApiToken, Organization, Role, TokenScope, User, Vendor
from .tokens import new_token

ALL_SCOPES = [s.value for s in TokenScope]


@transaction.atomic
def vendor_create(
    *,
    actor: Actor,
    name: str,
    country: str,
    clearance: str,
    rate_per_task: Decimal = Decimal("0"),
    rate_per_hour: Decimal = Decimal("0"),
) -> Vendor:
    require_role(actor, Role.ADMIN)
    try:
        with transaction.atomic():  # a savepoint: the name's uniqueness is the database's to decide
            return Vendor.objects.create(
                organization_id=actor.organization_id,
                name=name,
                country=country.upper(),
                clearance=clearance,
                rate_per_task=rate_per_task,
                rate_per_hour=rate_per_hour,
            )
    except IntegrityError:
        raise ValidationError({"name": f"a vendor named {name!r} already exists"}) from None


@transaction.atomic
def user_create(
    *,
    organization: Organization,
    username: str,
    password: str,
    role: str,
    vendor: Vendor | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    if vendor is not None and vendor.organization_id != organization.pk:
        raise ValueError("vendor belongs to another organization")
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        organization=organization,
        vendor=vendor,
        role=role,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def check_token_scopes(*, actor: Actor, scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    if TokenScope.ADMIN in scopes and not actor.is_admin:
        raise AccessDenied("Only admins may create admin-scoped tokens.")
    return sorted(set(scopes))


@transaction.atomic
def token_create(
    *, actor: Actor, name: str, scopes: list[str], expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for the acting user. Returns the row and the plaintext, shown once."""
    scopes = check_token_scopes(actor=actor, scopes=scopes)
    days = settings.QUORUM["TOKEN_DEFAULT_DAYS"] if expires_in_days is None else expires_in_days
    if days <= 0 or days > 366:
        raise ValueError("expires_in_days must be between 1 and 366")
    plaintext, prefix, key_hash = new_token()
    token = ApiToken.objects.create(
        user=actor.user,
        name=name,
        prefix=prefix,
        key_hash=key_hash,
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, plaintext


@transaction.atomic
def token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    if token.user_id != actor.user.pk and not actor.is_admin:
        raise AccessDenied("You may revoke only your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
