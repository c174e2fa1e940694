"""Which items of a project a claimer may take: vendor routes, shares and pins.

Shares: the active routes of a project, ordered by route priority (highest first) then vendor id,
split the range 0..99 in proportion to their shares. An unpinned item belongs to the vendor whose
range holds ``item.id % 100``; ids are sequential, so a vendor with share 30 of 100 gets every
item whose id ends in one of its 30 buckets, spread evenly through the queue. The test is a filter
on the row the claim already reads, so the claim stays on its index and skips at most about
``100 / share`` rows. Items pinned to a vendor go to that vendor only, internal-only items to
internal staff only, and internal staff may take any item. A project with one route gives that
vendor every unpinned item. Changing shares re-splits unclaimed items at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Mod

from ..models import Item

BUCKETS = 100


@dataclass(frozen=True)
class Route:
    """The claimer's slice of a project: vendor (None for internal staff) and bucket range [lo, hi)."""

    vendor_id: int | None
    lo: int = 0
    hi: int = BUCKETS

    @property
    def whole(self) -> bool:
        return self.lo <= 0 and self.hi >= BUCKETS

    def sql(self, alias: str = "i") -> tuple[str, dict[str, Any]]:
        """An SQL condition (starting with AND) on item ``alias`` and its parameters."""
        if self.vendor_id is None:
            return "", {}
        params: dict[str, Any] = {"route_vendor": self.vendor_id}
        if self.whole:
            unpinned = f"{alias}.pinned_vendor_id IS NULL"
        elif self.lo >= self.hi:
            unpinned = "FALSE"
        else:
            unpinned = (
                f"({alias}.pinned_vendor_id IS NULL AND {alias}.id %% {BUCKETS} >= %(route_lo)s "
                f"AND {alias}.id %% {BUCKETS} < %(route_hi)s)"
            )
            params.update(route_lo=self.lo, route_hi=self.hi)
        sql = f" AND NOT {alias}.internal_only AND ({alias}.pinned_vendor_id = %(route_vendor)s OR {unpinned})"
        return sql, params

    def filter(self, items: QuerySet[Item]) -> QuerySet[Item]:
        """The same condition for the ORM (the portable claim)."""
        if self.vendor_id is None:
            return items
        if self.whole:
            unpinned = Q(pinned_vendor__isnull=True)
        elif self.lo >= self.hi:
            unpinned = Q(pk__in=[])
        else:
            items = items.alias(route_bucket=Mod(F("id"), BUCKETS))
            unpinned = Q(pinned_vendor__isnull=True, route_bucket__gte=self.lo, route_bucket__lt=self.hi)
        return items.filter(Q(internal_only=False) & (Q(pinned_vendor_id=self.vendor_id) | unpinned))


def share_ranges(routes: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Bucket ranges for ``[(vendor_id, share), ...]`` already in route order."""
    total = sum(max(share, 0) for _, share in routes)
    out: dict[int, tuple[int, int]] = {}
    acc = 0
    for vendor_id, share in routes:
        lo = acc * BUCKETS // total if total else 0
        acc += max(share, 0)
        hi = acc * BUCKETS // total if total else 0
        out[vendor_id] = (lo, hi)
    return out
