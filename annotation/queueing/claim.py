"""The claim itself: one SQL statement on PostgreSQL, one ``BEGIN IMMEDIATE`` transaction elsewhere.

A claim returns the served row ``(lease id, expires_at, is_gold, item id, external_id,
view text, metadata, media)`` or None. It takes nothing while the annotator holds an active
lease in the project (the caller then serves or retires that one), and raises IntegrityError if a
concurrent claim of the same annotator got there first (one active lease per annotator and
project is a unique constraint).

Cost on PostgreSQL: one descent of ``item_claim_idx`` (O(log n)), then a walk along it past the
items this annotator cannot take: items whose slots are all held by live leases (at most the
number of people working the project), open items they already annotated or skipped, and with
vendor shares about ``100 / share`` rows per hit. None of that grows with the number of items.
Each visited row costs two index probes ("annotated or skipped by me?").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Value, When
from django.db.models.functions import Coalesce

from privacy.clearance import RESTRICTED_FIELD, VIEW_FIELDS

from ..models import Annotation, Item, ItemState, Lease, LeaseState, Skip
from .routing import Route
from .sql import fetch_one

# (lease id, expires_at, is_gold, item id, external_id, view text, metadata, media, suggestion); the view text is the
# column of the annotator's clearance (privacy.clearance.view_field), never the sealed raw text.
Served = tuple[Any, ...]


@dataclass(frozen=True)
class ClaimRequest:
    project_id: int
    user_id: int
    vendor_id: int | None
    overlap: int
    route: Route
    now: datetime
    expires: datetime
    view: str = RESTRICTED_FIELD  # a column from privacy.clearance.VIEW_FIELDS
    # The statement is its own transaction (autocommit): it may commit without a WAL flush.
    standalone: bool = False

    def __post_init__(self) -> None:
        if self.view not in VIEW_FIELDS:  # it is formatted into SQL: only known column names
            raise ValueError(f"not a stored view: {self.view!r}")

    def params(self) -> dict[str, Any]:
        return {
            "project": self.project_id, "user": self.user_id, "vendor": self.vendor_id,
            "overlap": self.overlap, "now": self.now, "expires": self.expires,
        }


_SEEN = """
      AND NOT EXISTS (SELECT 1 FROM annotation_annotation a
                      WHERE a.item_id = i.id AND a.annotator_id = %(user)s)
      AND NOT EXISTS (SELECT 1 FROM annotation_skip s
                      WHERE s.item_id = i.id AND s.annotator_id = %(user)s)"""

# Evaluated once per statement (it does not depend on the item): no claim while one is held.
_NO_CURRENT = """
      AND NOT EXISTS (SELECT 1 FROM annotation_lease c
                      WHERE c.annotator_id = %(user)s AND c.project_id = %(project)s
                        AND c.state = 'active')"""

_FREE = """i.project_id = %(project)s AND i.state = 'open' AND NOT i.is_gold
      AND i.annotation_count + CASE WHEN i.leased_until > %(now)s THEN i.lease_count ELSE 0 END
          < COALESCE(i.overlap_target, %(overlap)s)"""

# The item's own counters decide: PostgreSQL re-checks them on the newest row version when it locks
# a row changed since this statement's snapshot, so two claims can never both fill the last slot.
# In a standalone claim the statement is the whole transaction: this makes its commit skip the WAL
# flush (a lease lost in a crash only frees its item). Referenced by the lease insert, so it runs
# exactly when something is written. Never inside a caller's transaction, whose writes may matter.
_NO_FLUSH = "nf AS (SELECT set_config('synchronous_commit', 'off', true) AS v), "

_CLAIM_SQL = """
WITH {no_flush}cand AS (
    SELECT i.id FROM annotation_item i
    WHERE {free}{route}{seen}{no_current}
    ORDER BY i.priority DESC, i.uncertainty DESC, i.id
    LIMIT 1
    FOR UPDATE OF i SKIP LOCKED
), taken AS (
    UPDATE annotation_item i
    SET lease_count = CASE WHEN i.leased_until > %(now)s THEN i.lease_count ELSE 0 END + 1,
        leased_until = CASE WHEN i.leased_until > %(expires)s THEN i.leased_until ELSE %(expires)s END
    FROM cand WHERE i.id = cand.id
    RETURNING i.id, i.external_id, i.{view} AS view_text, i.metadata, i.media, i.suggestion
), ins AS (
    INSERT INTO annotation_lease
        (project_id, item_id, annotator_id, vendor_id, is_gold, state, created_at, expires_at)
    SELECT %(project)s, taken.id, %(user)s, %(vendor)s::bigint, FALSE, 'active', %(now)s, %(expires)s
    FROM taken{no_flush_join}
    RETURNING id, item_id, expires_at, is_gold
)
SELECT ins.id, ins.expires_at, ins.is_gold, taken.id, taken.external_id, taken.view_text,
       taken.metadata, taken.media, taken.suggestion
FROM ins JOIN taken ON taken.id = ins.item_id
"""

# Gold items have no slots to protect (unlimited overlap, never done): no lock, no counters.
_CLAIM_GOLD_SQL = """
WITH {no_flush}cand AS (
    SELECT i.id, i.external_id, i.{view} AS view_text, i.metadata, i.media, i.suggestion FROM annotation_item i
    WHERE i.project_id = %(project)s AND i.state = 'open' AND i.is_gold{route}{seen}{no_current}
    ORDER BY i.priority DESC, i.id
    LIMIT 1
), ins AS (
    INSERT INTO annotation_lease
        (project_id, item_id, annotator_id, vendor_id, is_gold, state, created_at, expires_at)
    SELECT %(project)s, cand.id, %(user)s, %(vendor)s::bigint, TRUE, 'active', %(now)s, %(expires)s
    FROM cand{no_flush_join}
    RETURNING id, item_id, expires_at, is_gold
)
SELECT ins.id, ins.expires_at, ins.is_gold, cand.id, cand.external_id, cand.view_text,
       cand.metadata, cand.media, cand.suggestion
FROM ins JOIN cand ON cand.id = ins.item_id
"""

# Backoff (seconds) between tries when the only free items were locked by other claims or writes.
RETRY_BACKOFF = (0.002, 0.005, 0.01, 0.02)

# Would anything be free for this annotator if no row were locked?
_PROBE_SQL = """
SELECT 1 FROM annotation_item i WHERE {free}{route}{seen}
LIMIT 1
"""


def claim_once(req: ClaimRequest, *, gold: bool) -> Served | None:
    """Lease the next item (a gold one if ``gold``) to the annotator, or None."""
    if connection.vendor != "postgresql":
        return claim_portable(req, gold=gold)
    route_sql, params = req.route.sql("i")
    params.update(req.params())
    sql = (_CLAIM_GOLD_SQL if gold else _CLAIM_SQL).format(
        free=_FREE, route=route_sql, seen=_SEEN, no_current=_NO_CURRENT, view=req.view,
        no_flush=_NO_FLUSH if req.standalone else "", no_flush_join=" CROSS JOIN nf" if req.standalone else "",
    )
    return fetch_one(sql, params)


def anything_free(req: ClaimRequest) -> bool:
    """True when some item would be free for the annotator but for row locks. SKIP LOCKED passes
    over rows that other claims or submissions hold for a moment; when those were the only free
    ones, the claim should look again rather than answer "nothing"."""
    if connection.vendor != "postgresql":
        return False  # the portable claim waits for locks instead of skipping them
    route_sql, params = req.route.sql("i")
    params.update(req.params())
    return fetch_one(_PROBE_SQL.format(free=_FREE, route=route_sql, seen=_SEEN), params) is not None


def claim_portable(req: ClaimRequest, *, gold: bool) -> Served | None:
    """The same claim with the ORM in one transaction: on SQLite the transaction is ``BEGIN
    IMMEDIATE`` (see settings), so claims are serialized by the database's write lock; on
    PostgreSQL the row lock and the re-check do the same job."""
    with transaction.atomic():
        if Lease.objects.filter(
            annotator_id=req.user_id, project_id=req.project_id, state=LeaseState.ACTIVE
        ).exists():
            return None
        items = Item.objects.filter(project_id=req.project_id, state=ItemState.OPEN, is_gold=gold)
        items = req.route.filter(items).exclude(
            Exists(Annotation.objects.filter(item_id=OuterRef("pk"), annotator_id=req.user_id))
        ).exclude(Exists(Skip.objects.filter(item_id=OuterRef("pk"), annotator_id=req.user_id)))
        if not gold:
            live = Case(
                When(leased_until__gt=req.now, then=F("lease_count")),
                default=Value(0),
                output_field=IntegerField(),
            )
            target = Coalesce(F("overlap_target"), Value(req.overlap))
            items = items.alias(slots=F("annotation_count") + live, target=target).filter(slots__lt=F("target"))
        row = (
            items.select_for_update(skip_locked=True, of=("self",))
            .order_by("-priority", *(() if gold else ("-uncertainty",)), "id")
            .values_list("pk", "external_id", req.view, "metadata", "media", "suggestion")
            .first()
        )
        if row is None:
            return None
        item_id = row[0]
        if not gold:
            Item.objects.filter(pk=item_id).update(
                lease_count=Case(
                    When(leased_until__gt=req.now, then=F("lease_count") + 1),
                    default=Value(1),
                ),
                leased_until=Case(
                    When(leased_until__gt=req.expires, then=F("leased_until")),
                    default=Value(req.expires),
                ),
            )
        lease = Lease.objects.create(
            project_id=req.project_id, item_id=item_id, annotator_id=req.user_id,
            vendor_id=req.vendor_id, is_gold=gold, state=LeaseState.ACTIVE,
            created_at=req.now, expires_at=req.expires,
        )
        return (lease.pk, lease.expires_at, gold, *row)


def current_lease(*, user_id: int, project_id: int, view: str = RESTRICTED_FIELD) -> Served | None:
    """The annotator's active lease in the project (live or not), as a served row."""
    return (
        Lease.objects.filter(annotator_id=user_id, project_id=project_id, state=LeaseState.ACTIVE)
        .values_list(
            "pk", "expires_at", "is_gold", "item_id", "item__external_id", "item__" + view,
            "item__metadata", "item__media", "item__suggestion",
        )
        .first()
    )
