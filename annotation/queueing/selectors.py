"""Queue reads: what a claimer may take in a project, and a project's queue counts.

``leased`` and ``mine_today`` are exact and read over small index ranges (live leases, one person's
day). The per-state item counts are a scan of the project's items, so they are cached for
``QUEUE_COUNTS_TTL`` seconds per project, and longer for a project whose scan is slow (50 times the
scan's time, at most a minute: at 1,000,000 items the scan takes about 0.2 s and ran on a submit's
request every 5 s): ``total``, ``done`` and ``available`` may lag by that much. ``available`` is
open, non-gold items minus those whose slots are all held by live leases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from time import monotonic

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from quality.services import GATE_COLUMNS_SQL, GATE_JOINS_SQL, ClaimGate, gate_from_columns
from workforce.access import AccessDenied, Actor

from ..models import Annotation, Item, ItemState, Lease, LeaseState, Project
from .conf import queue_setting
from .routing import Route, share_ranges
from .sql import fetch_all


@dataclass(frozen=True)
class QueueContext:
    """What a claim needs to know about a project, read in one query on the hot path: the project,
    the claimer's route, and their quality gate (paused, or in the qualification test)."""

    project_id: int
    paused: bool
    overlap: int
    lease_seconds: int
    gold_rate: float
    route: Route
    gate: ClaimGate = field(default_factory=ClaimGate)


_CONTEXT_SQL = f"""
SELECT p.paused, p.overlap, p.lease_seconds, p.gold_rate, {GATE_COLUMNS_SQL}, r.vendor_id, r.share
FROM annotation_project p
LEFT JOIN annotation_projectvendor r ON r.project_id = p.id AND r.active
{GATE_JOINS_SQL}
WHERE p.id = %(project)s AND p.organization_id = %(organization)s
ORDER BY r.priority DESC, r.vendor_id
"""


def claim_context(actor: Actor, project_id: int) -> QueueContext:
    """The project as the claimer may see it, with their route and gate. Visibility is the rule of
    ``annotation.selectors.projects_visible`` (same organization; for vendor users, an active
    route to their vendor), checked here in the same query that reads the routes; a test holds the
    two to the same answers."""
    rows = fetch_all(
        _CONTEXT_SQL,
        {"project": project_id, "organization": actor.organization_id or 0, "gate_user": actor.user.pk},
    )
    if not rows:
        raise AccessDenied("No such project.")
    paused, overlap, lease_seconds, gold_rate = rows[0][:4]
    gate = gate_from_columns(rows[0][4:9])
    routes = [(int(vendor_id), int(share)) for *_, vendor_id, share in rows if vendor_id is not None]
    if actor.is_internal:
        route = Route(vendor_id=None)
    else:
        ranges = share_ranges(routes)
        if actor.vendor_id not in ranges:
            raise AccessDenied("No such project.")
        lo, hi = ranges[actor.vendor_id]
        route = Route(vendor_id=actor.vendor_id, lo=lo, hi=hi)
    return QueueContext(
        project_id=project_id, paused=bool(paused), overlap=int(overlap), lease_seconds=int(lease_seconds),
        gold_rate=float(gold_rate), route=route, gate=gate,
    )

_FULL_SQL = """
SELECT COUNT(*) FROM (
    SELECT l.item_id FROM annotation_lease l JOIN annotation_item i ON i.id = l.item_id
    WHERE l.project_id = %s AND l.state = 'active' AND l.expires_at > %s AND NOT l.is_gold
      AND i.state = 'open'
    GROUP BY l.item_id, i.annotation_count
    HAVING i.annotation_count + COUNT(*) >= %s
) AS full_items
"""


# The scan may cost at most 1/COUNTS_COST_FACTOR of one core, however large the project.
COUNTS_COST_FACTOR = 50
COUNTS_MAX_TTL = 60


def counts_ttl(scan_seconds: float) -> int:
    """Seconds to keep a project's state counts that took ``scan_seconds`` to read."""
    return int(max(queue_setting("QUEUE_COUNTS_TTL"), min(COUNTS_MAX_TTL, scan_seconds * COUNTS_COST_FACTOR)))


def _state_counts(project_id: int) -> dict[str, int]:
    key = f"queue:state-counts:{project_id}"
    counts: dict[str, int] | None = cache.get(key)
    if counts is None:
        started = monotonic()
        agg = Item.objects.filter(project_id=project_id).aggregate(
            total=Count("id"),
            done=Count("id", filter=Q(state=ItemState.DONE)),
            open=Count("id", filter=Q(state=ItemState.OPEN, is_gold=False)),
        )
        counts = {k: int(v) for k, v in agg.items()}
        cache.set(key, counts, timeout=counts_ttl(monotonic() - started))
    return counts


def project_queue_counts(*, project_id: int, overlap: int, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = _state_counts(project_id)
    leased = Lease.objects.filter(project_id=project_id, state=LeaseState.ACTIVE, expires_at__gt=now).count()
    with connection.cursor() as cur:
        cur.execute(_FULL_SQL, [project_id, now, overlap])
        row = cur.fetchone()
    full = int(row[0]) if row else 0
    return {
        "available": max(counts["open"] - full, 0),
        "leased": leased,
        "done": counts["done"],
        "total": counts["total"],
    }


def queue_counts(*, actor: Actor, project: Project) -> dict[str, int]:
    now = timezone.now()
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    mine_today = Annotation.objects.filter(
        annotator_id=actor.user.pk, created_at__gte=midnight, item__project_id=project.pk
    ).count()
    return {**project_queue_counts(project_id=project.pk, overlap=project.overlap, now=now), "mine_today": mine_today}
