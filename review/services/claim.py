"""The claim: one SQL statement on PostgreSQL, one transaction of ORM steps elsewhere (SQLite).

The statement, in order:

1. ``breached``: the first available case due at or before now, in urgency-key order, locked
   ``FOR UPDATE SKIP LOCKED``; ``fresh``: only if there is none, the first available case of any
   due time. So breached cases are always served first (review/urgency.py has the formula).
   A case's key is never after its due time, so a breached case has ``urgency_key <= now``: that
   bound stops the breached walk along the index at the present, past at most the cases due
   within tau * ln(4) (83 minutes at the default tau), whatever the size of the queue.
2. ``taken``: the case goes ``in_review`` under the reviewer until the lease's end; ``queued_as``
   keeps the state it came from (release returns it there). A case still ``in_review`` whose lease
   ran out is available too: taking it over keeps its ``queued_as``.
3. ``lease``: the reviewer's CaseLease. One active lease per reviewer is a unique index, so two
   concurrent claims of one person cannot both succeed (the second raises IntegrityError).
4. ``exposure``: the reviewer's count of the case's category today goes up by one.

"Available" for this reviewer means: their organization; a waiting state (or in_review with its
lease run out); a tier they work; not excluded from it (appeals, QA: the first reviewer); a
category under its daily cap for them (counts read from ``review_exposureday`` in the same
statement, caps passed in as JSON); for vendor reviewers a project routed to their vendor and an
item that is neither internal-only nor pinned to another vendor; and the reviewer holds no active
lease and is on no break.

Cost: one descent of ``case_queue_idx`` (organization, urgency_key, id), then a walk past the
cases this reviewer may not take (held by others, a higher tier, a capped category, another
vendor's projects), each checked with index probes. Breached cases are found on the same index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import F, Q

from ..models import QUEUE_STATES, Case, CaseLease, ExposureDay, LeaseState, ReviewerWellness
from ..state import IN_REVIEW, WAITING, can_transition

# The statement below moves cases from these states to in_review; the state machine must allow it.
assert all(can_transition(s, IN_REVIEW) for s in WAITING)

_WAITING_SQL = ", ".join(f"'{s}'" for s in WAITING)
_QUEUE_SQL = ", ".join(f"'{s}'" for s in QUEUE_STATES)
_MAX_INT = 2147483647


@dataclass(frozen=True)
class ClaimRequest:
    organization_id: int
    user_id: int
    vendor_id: int | None
    tier: int
    projects: tuple[int, ...] | None  # vendor reviewers: the projects routed to their vendor
    caps: dict[str, int]
    severe: int
    now: datetime
    expires: datetime
    day: date

    def params(self) -> dict[str, Any]:
        return {
            "org": self.organization_id, "user": self.user_id, "vendor": self.vendor_id, "tier": self.tier,
            "projects": list(self.projects or ()), "caps": orjson.dumps(self.caps).decode(),
            "severe": self.severe, "now": self.now, "expires": self.expires, "day": self.day,
        }


@dataclass(frozen=True)
class Claimed:
    lease_id: int
    case_id: int
    from_state: str
    previous_assignee: int | None
    severity: int


# The first state test repeats the queue index's predicate word for word: PostgreSQL cannot prove
# that the OR below implies it, and would not use the index otherwise.
_AVAILABLE = f"""c.organization_id = %(org)s AND c.state IN ({_QUEUE_SQL})
      AND (c.state IN ({_WAITING_SQL}) OR (c.state = '{IN_REVIEW}' AND c.leased_until <= %(now)s))
      AND c.tier <= %(tier)s
      AND (c.excluded_reviewer_id IS NULL OR c.excluded_reviewer_id <> %(user)s)
      AND NOT EXISTS (SELECT 1 FROM review_exposureday e
                      WHERE e.reviewer_id = %(user)s AND e.day = %(day)s AND e.category = c.category
                        AND e.items >= COALESCE((%(caps)s::jsonb ->> c.category)::integer, {_MAX_INT}))
      AND NOT EXISTS (SELECT 1 FROM review_caselease l WHERE l.reviewer_id = %(user)s AND l.state = 'active')
      AND NOT EXISTS (SELECT 1 FROM review_reviewerwellness w
                      WHERE w.reviewer_id = %(user)s AND w.break_until > %(now)s)"""

_VENDOR = """
      AND c.project_id = ANY(%(projects)s::bigint[])
      AND EXISTS (SELECT 1 FROM annotation_item i WHERE i.id = c.item_id AND NOT i.internal_only
                  AND (i.pinned_vendor_id IS NULL OR i.pinned_vendor_id = %(vendor)s))"""

_CLAIM_SQL = """
WITH breached AS MATERIALIZED (
    SELECT c.id, c.state, c.assignee_id FROM review_case c
    WHERE {available} AND c.due_at <= %(now)s AND c.urgency_key <= %(now)s
    ORDER BY c.urgency_key, c.id
    LIMIT 1
    FOR UPDATE OF c SKIP LOCKED
), fresh AS MATERIALIZED (
    SELECT c.id, c.state, c.assignee_id FROM review_case c
    WHERE NOT EXISTS (SELECT 1 FROM breached) AND {available}
    ORDER BY c.urgency_key, c.id
    LIMIT 1
    FOR UPDATE OF c SKIP LOCKED
), cand AS (
    SELECT * FROM breached UNION ALL SELECT * FROM fresh
), taken AS (
    UPDATE review_case c
    SET state = '{in_review}',
        queued_as = CASE WHEN cand.state = '{in_review}' THEN c.queued_as ELSE cand.state END,
        assignee_id = %(user)s, leased_until = %(expires)s, updated_at = %(now)s
    FROM cand WHERE c.id = cand.id
    RETURNING c.id, c.category, c.severity
), lease AS (
    INSERT INTO review_caselease (case_id, reviewer_id, vendor_id, state, created_at, expires_at)
    SELECT taken.id, %(user)s, %(vendor)s::bigint, 'active', %(now)s, %(expires)s FROM taken
    RETURNING id, case_id
), exposure AS (
    INSERT INTO review_exposureday (reviewer_id, vendor_id, organization_id, day, category, items, severe)
    SELECT %(user)s, %(vendor)s::bigint, %(org)s, %(day)s, taken.category, 1,
           CASE WHEN taken.severity >= %(severe)s THEN 1 ELSE 0 END
    FROM taken
    ON CONFLICT (reviewer_id, day, category)
    DO UPDATE SET items = review_exposureday.items + 1, severe = review_exposureday.severe + EXCLUDED.severe
)
SELECT lease.id, taken.id, cand.state, cand.assignee_id, taken.severity
FROM lease JOIN taken ON taken.id = lease.case_id JOIN cand ON cand.id = taken.id
"""


def claim_sql(req: ClaimRequest) -> str:
    available = _AVAILABLE + (_VENDOR if req.vendor_id is not None else "")
    return _CLAIM_SQL.format(available=available, in_review=IN_REVIEW)


def claim_once(req: ClaimRequest) -> Claimed | None:
    """Put the next case under the reviewer's lease, or None when nothing is available to them."""
    if req.vendor_id is not None and not req.projects:
        return None
    if connection.vendor != "postgresql":
        return claim_portable(req)
    with connection.cursor() as cur:
        cur.execute(claim_sql(req), req.params())
        row = cur.fetchone()
    if row is None:
        return None
    lease_id, case_id, from_state, previous, severity = row
    return Claimed(int(lease_id), int(case_id), str(from_state), previous, int(severity))


def claim_portable(req: ClaimRequest) -> Claimed | None:
    """The same claim as ORM steps in one transaction: on SQLite that transaction is ``BEGIN
    IMMEDIATE`` (see settings), so claims are serialized by the database's write lock."""
    with transaction.atomic():
        if CaseLease.objects.filter(reviewer_id=req.user_id, state=LeaseState.ACTIVE).exists():
            return None
        if ReviewerWellness.objects.filter(reviewer_id=req.user_id, break_until__gt=req.now).exists():
            return None
        exposure = dict(ExposureDay.objects.filter(reviewer_id=req.user_id, day=req.day)
                        .values_list("category", "items"))
        capped = [cat for cat, cap in req.caps.items() if exposure.get(cat, 0) >= cap]
        qs = (
            Case.objects.filter(organization_id=req.organization_id, tier__lte=req.tier)
            .filter(Q(state__in=WAITING) | Q(state=IN_REVIEW, leased_until__lte=req.now))
            .exclude(excluded_reviewer_id=req.user_id)
            .exclude(category__in=capped)
        )
        if req.vendor_id is not None:
            qs = qs.filter(project_id__in=req.projects or (), item__internal_only=False).filter(
                Q(item__pinned_vendor__isnull=True) | Q(item__pinned_vendor_id=req.vendor_id)
            )
        fields = ("pk", "state", "assignee_id", "category", "severity")
        ordered = qs.order_by("urgency_key", "id").select_for_update(skip_locked=True, of=("self",))
        row = ordered.filter(due_at__lte=req.now).values_list(*fields).first()
        row = row or ordered.values_list(*fields).first()
        if row is None:
            return None
        case_id, state, previous, category, severity = row
        Case.objects.filter(pk=case_id).update(
            state=IN_REVIEW, queued_as=F("queued_as") if state == IN_REVIEW else state,
            assignee_id=req.user_id, leased_until=req.expires, updated_at=req.now,
        )
        lease = CaseLease.objects.create(
            case_id=case_id, reviewer_id=req.user_id, vendor_id=req.vendor_id, state=LeaseState.ACTIVE,
            created_at=req.now, expires_at=req.expires,
        )
        row_exposure, _ = ExposureDay.objects.get_or_create(
            reviewer_id=req.user_id, day=req.day, category=category,
            defaults={"vendor_id": req.vendor_id, "organization_id": req.organization_id},
        )
        ExposureDay.objects.filter(pk=row_exposure.pk).update(
            items=F("items") + 1, severe=F("severe") + (1 if severity >= req.severe else 0)
        )
        return Claimed(lease.pk, int(case_id), str(state), previous, int(severity))
