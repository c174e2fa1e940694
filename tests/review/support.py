"""Helpers for review tests: items, cases with chosen due times, extra reviewers."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

from django.utils import timezone

from annotation.models import Item, Project
from review.conf import review_setting
from review.models import Case, CaseLease
from review.services.cases import case_create
from review.services.policy import review_settings_get
from review.services.queue import case_claim
from review.urgency import urgency_key
from tests.conftest import PASSWORD, World, content
from workforce.access import Actor, actor_for
from workforce.models import Role, User, Vendor
from workforce.services import user_create

RAW = "Meet me at 12 Elm Street, call +44 7700 900123"
REDACTED = "Meet me at <ADDRESS>, call <PHONE>"
_ids = count(1)


def actor(world: World, name: str) -> Actor:
    return actor_for(world.users[name])


def add_user(world: World, name: str, role: str = Role.REVIEWER, vendor: Vendor | None = None) -> User:
    user = user_create(organization=world.org, username=name, password=PASSWORD, role=role, vendor=vendor)
    world.users[name] = user
    return user


def add_item(project: Project, *, text: str = RAW, redacted: str = REDACTED, **fields: Any) -> Item:
    n = next(_ids)
    return Item.objects.create(project=project, external_id=f"c-{n}", content_hash=f"hash-{n}",
                               **content(project, f"c-{n}", text, redacted), **fields)


def open_case(world: World, project: Project, *, item: Item | None = None, by: str = "admin",
              category: str = "S1", severity: int = 2, source: str = "user_report", **fields: Any) -> Case:
    item = item or add_item(project)
    case, created = case_create(actor=actor(world, by), item_id=item.pk, source=source, category=category,
                                severity=severity, **fields)
    assert created
    return case


def set_due(case: Case, due_at: datetime) -> Case:
    """Give a case another due time (and the urgency key that goes with it), as if opened earlier."""
    case.due_at = due_at
    case.urgency_key = urgency_key(due_at=due_at, severity=case.severity,
                                   tau_seconds=float(review_setting("REVIEW_URGENCY_TAU_SECONDS")))
    case.save(update_fields=["due_at", "urgency_key"])
    return case


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def now() -> datetime:
    return timezone.now()


def configure(world: World, **fields: Any) -> None:
    row = review_settings_get(organization_id=world.org.pk)
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


def claim(world: World, name: str) -> CaseLease:
    """Claim for ``name`` and insist that a case was served."""
    lease = case_claim(actor=actor(world, name))
    assert lease is not None, f"nothing was served to {name}"
    return lease
