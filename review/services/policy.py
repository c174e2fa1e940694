"""Policy versions and an organization's review settings. Keyword-only, one transaction each.

An organization's first policy version (the MLCommons taxonomy, review/taxonomy.py) and its
settings row are created lazily, the first time anything asks for them.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role

from ..conf import review_setting
from ..models import PolicyCategory, PolicyVersion, ReviewSettings, Tier
from ..taxonomy import DEFAULT_CATEGORIES, DEFAULT_SLA_MINUTES, SEVERITIES
from .errors import InvalidDecision

CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,15}$")
SETTINGS_FIELDS = (
    "exposure_caps", "severe_severity", "break_after", "break_minutes", "qa_sample_rate", "qa_sla_minutes",
    "lease_seconds",
)


def _settings_defaults() -> dict[str, Any]:
    return {
        "exposure_caps": dict(review_setting("REVIEW_EXPOSURE_CAPS")),
        "severe_severity": review_setting("REVIEW_SEVERE_SEVERITY"),
        "break_after": review_setting("REVIEW_BREAK_AFTER"),
        "break_minutes": review_setting("REVIEW_BREAK_MINUTES"),
        "qa_sample_rate": review_setting("REVIEW_QA_SAMPLE_RATE"),
        "qa_sla_minutes": review_setting("REVIEW_QA_SLA_MINUTES"),
        "lease_seconds": review_setting("REVIEW_LEASE_SECONDS"),
    }


def review_settings_get(*, organization_id: int) -> ReviewSettings:
    row = ReviewSettings.objects.filter(organization_id=organization_id).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return ReviewSettings.objects.create(organization_id=organization_id, **_settings_defaults())
    except IntegrityError:  # created concurrently
        return ReviewSettings.objects.get(organization_id=organization_id)


def check_settings_update(*, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    require_role(actor, Role.ADMIN)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown review settings: {sorted(unknown)}")
    caps = fields.get("exposure_caps")
    if caps is not None and (not isinstance(caps, dict) or not all(
        isinstance(k, str) and CODE_RE.match(k) and isinstance(v, int) and v >= 0 for k, v in caps.items()
    )):
        raise InvalidDecision("exposure_caps", "Caps are {category code: non-negative whole number}.")
    return fields


@transaction.atomic
def review_settings_update(*, actor: Actor, **fields: Any) -> ReviewSettings:
    fields = check_settings_update(actor=actor, fields=fields)
    row = review_settings_get(organization_id=actor.organization_id)
    row = ReviewSettings.objects.select_for_update().get(pk=row.pk)
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row


def policy_active(*, organization_id: int) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(organization_id=organization_id, active=True).first()


def policy_default(*, organization_id: int) -> PolicyVersion:
    """The organization's active policy version; version 1 from the default taxonomy if it has none."""
    policy = policy_active(organization_id=organization_id)
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            policy = PolicyVersion.objects.create(
                organization_id=organization_id, version=1, name="MLCommons hazard taxonomy (Llama Guard 3)",
                notes="Default policy: the 14 hazard categories S1–S14.", sla_minutes=dict(DEFAULT_SLA_MINUTES),
                active=True,
            )
            PolicyCategory.objects.bulk_create(
                PolicyCategory(policy=policy, position=i, **spec) for i, spec in enumerate(DEFAULT_CATEGORIES)
            )
            return policy
    except IntegrityError:  # another request created it first
        return PolicyVersion.objects.get(organization_id=organization_id, active=True)


def check_policy(*, actor: Actor, categories: list[dict[str, Any]], sla_minutes: dict[str, int]) -> None:
    require_role(actor, Role.ADMIN)
    if not actor.is_internal:
        raise AccessDenied("Only internal staff edit the policy.")
    if not categories:
        raise InvalidDecision("categories", "A policy needs at least one category.")
    codes = [str(c.get("code", "")) for c in categories]
    for code in codes:
        if not CODE_RE.match(code):
            raise InvalidDecision("categories", f"Bad category code {code!r}: a letter, then letters or digits.")
    if len(set(codes)) != len(codes):
        raise InvalidDecision("categories", "Category codes must be unique.")
    for c in categories:
        if not str(c.get("name", "")).strip():
            raise InvalidDecision("categories", f"Category {c.get('code')} needs a name.")
        if int(c.get("min_tier", Tier.L1)) not in Tier.values:
            raise InvalidDecision("categories", f"Category {c.get('code')}: min_tier is 1, 2 or 3.")
    missing = [s for s in SEVERITIES if int(sla_minutes.get(str(s), 0) or 0) <= 0]
    if missing:
        raise InvalidDecision("sla_minutes", f"Every severity needs a positive SLA; missing: {missing}.")


@transaction.atomic
def policy_publish(
    *,
    actor: Actor,
    name: str,
    categories: list[dict[str, Any]],
    sla_minutes: dict[str, int] | None = None,
    notes: str = "",
) -> PolicyVersion:
    """Publish a new version of the organization's policy; it becomes the active one. Cases keep
    the version they were opened under; new decisions cite codes of the new version."""
    current = policy_default(organization_id=actor.organization_id)
    sla = {str(k): int(v) for k, v in (sla_minutes or current.sla_minutes).items()}
    check_policy(actor=actor, categories=categories, sla_minutes=sla)
    current = PolicyVersion.objects.select_for_update().get(pk=current.pk)
    PolicyVersion.objects.filter(organization_id=actor.organization_id, active=True).update(active=False)
    policy = PolicyVersion.objects.create(
        organization_id=actor.organization_id, version=current.version + 1, name=name, notes=notes,
        sla_minutes=sla, active=True, created_by=actor.user,
    )
    PolicyCategory.objects.bulk_create(
        PolicyCategory(
            policy=policy, position=i, code=str(c["code"]), name=str(c["name"]),
            description=str(c.get("description", "")), warning=str(c.get("warning", "")),
            min_tier=int(c.get("min_tier", Tier.L1)), graphic=bool(c.get("graphic", False)),
        )
        for i, c in enumerate(categories)
    )
    return policy


def policy_categories(policy: PolicyVersion) -> dict[str, PolicyCategory]:
    return {c.code: c for c in policy.categories.all()}
