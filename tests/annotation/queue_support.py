"""Helpers shared by the queue tests: items in bulk, extra annotators, shortcuts over the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from annotation.models import Item, Lease, Project
from annotation.queueing.services import annotation_submit, lease_claim
from tests.conftest import PASSWORD, World, content
from workforce.access import actor_for
from workforce.models import Role, User, Vendor
from workforce.services import user_create


def make_items(project: Project, n: int, start: int = 0, **fields: Any) -> list[Item]:
    prefix = (fields.get("is_gold", False) and "g") or "x"
    items = [
        Item(
            project=project,
            external_id=f"{prefix}-{start + i:05d}",
            **content(
                project, f"{prefix}-{start + i:05d}",
                f"raw text {start + i} call me on +44 7700 900{i % 1000:03d}",
                f"raw text {start + i} call me on <PHONE>",
            ),
            content_hash=f"{start + i:064d}",
            **fields,
        )
        for i in range(n)
    ]
    return Item.objects.bulk_create(items)


def make_annotators(world: World, n: int, vendor: Vendor | None = None, prefix: str = "ann") -> list[User]:
    return [
        user_create(
            organization=world.org, username=f"{prefix}{i}", password=PASSWORD, role=Role.ANNOTATOR,
            vendor=vendor,
        )
        for i in range(n)
    ]


def claim(user: User, project: Project) -> Lease | None:
    return lease_claim(actor=actor_for(user), project_id=project.pk)


def submit(user: User, lease: Lease, label: str = "billing", **kwargs: Any) -> Any:
    return annotation_submit(actor=actor_for(user), lease_id=lease.pk, labels=[label], **kwargs)


def expire(lease: Lease, seconds_ago: int = 1) -> None:
    """Make a lease run out as if its time had passed: its expiry moves into the past, and the
    item's lease horizon becomes the latest expiry among its active leases, as it would be."""
    past = timezone.now() - timedelta(seconds=seconds_ago)
    Lease.objects.filter(pk=lease.pk).update(expires_at=past)
    horizon = Lease.objects.filter(item_id=lease.item_id, state="active", is_gold=False).aggregate(
        m=Max("expires_at")
    )["m"]
    Item.objects.filter(pk=lease.item_id).update(leased_until=horizon)
