"""Queue writes: claim, heartbeat, skip, submit, undo, release. Keyword-only, one transaction each.

Every write that ends, extends or revives a lease locks the lease and its item first and takes the
time after the lock: a lease live at that moment is counted on the item row (see
``annotation.queueing``), and the item's counters are rewritten from an exact count of its live
leases, read in a statement that starts after the lock and so sees every claim before it.

Submitting on an expired lease: accepted when the item still has a free slot for this annotator,
counted exactly under the item's lock (nobody else took the slot meanwhile); otherwise refused
with ``lease_expired``. A lease the annotator replaced by claiming again (``expired``), skipped,
released or already submitted takes no submission, except an identical retry (same client key),
which returns the first submission unchanged.

Claim and submit are the hot paths (hundreds a second): on PostgreSQL they are a few hand-written
statements; the ORM versions below them are the portable path (SQLite) and the reference. The
everyday submit (a live lease, a non-gold item) is a read and then one writing statement in its own
transaction (``_submit_live``): it takes its lease off the item's counter rather than recounting
(the counter may then over-count expired leases until ``leased_until`` passes: an item is served
late, never twice); anything else goes through the locked transaction below.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from privacy.clearance import RESTRICTED_FIELD, view_field
from quality.services import record_retraction, record_submission, submission_recorded, submission_rollup
from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role, User

from ..events import publish_project_event
from ..models import Annotation, AnnotationSource, Item, ItemState, Lease, LeaseState, Skip
from ..schema import LabelSet, parse_schema, validate_comment, validate_labels, validate_spans
from .claim import RETRY_BACKOFF, ClaimRequest, Served, anything_free, claim_once, current_lease
from .conf import queue_setting
from .selectors import QueueContext, claim_context, project_queue_counts
from .sql import fetch_one


class QueueError(Exception):
    """A queue operation cannot be done in the current state. ``code`` names it for clients."""

    code = "conflict"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProjectPaused(QueueError):
    code = "project_paused"


class AnnotatorPaused(QueueError):
    code = "annotator_paused"


class LeaseExpired(QueueError):
    code = "lease_expired"


class LeaseEnded(QueueError):
    code = "lease_ended"


class UndoRefused(QueueError):
    code = "undo_refused"


@dataclass(frozen=True)
class Submitted:
    annotation: Annotation
    created: bool  # False for an idempotent retry
    undo_until: datetime


# --- helpers -----------------------------------------------------------------------------------------

# Fields a lease is served with (claim, undo): the view of the annotator's clearance, never the raw.
_LEASE_FIELDS = ["id", "project_id", "item_id", "annotator_id", "is_gold", "state", "expires_at"]


def served_lease(row: Served, *, project_id: int, user_id: int, view: str = RESTRICTED_FIELD) -> Lease:
    """A Lease with its item, built from a served row; fields not read are deferred, not defaulted.
    ``item.view_text`` is the text the annotator sees (the ``view`` column)."""
    lease_id, expires_at, is_gold, item_id, external_id, view_text, metadata, media, suggestion = row
    if isinstance(metadata, str | bytes):
        metadata = orjson.loads(metadata)
    if isinstance(suggestion, str | bytes):
        suggestion = orjson.loads(suggestion)
    item = Item.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "project_id", "external_id", view, "media", "metadata", "suggestion"],
        [item_id, project_id, external_id, view_text, media, metadata, suggestion],
    )
    item.view_text = view_text
    lease = Lease.from_db(
        DEFAULT_DB_ALIAS, _LEASE_FIELDS,
        [lease_id, project_id, item_id, user_id, bool(is_gold), LeaseState.ACTIVE, expires_at],
    )
    lease.item = item
    return lease


def _lock_lease(actor: Actor, lease_id: int) -> Lease:
    """Lock the acting user's lease and its item (raises Lease.DoesNotExist for anyone else's)."""
    return (
        Lease.objects.select_for_update(of=("self", "item"))
        .select_related("item", "project")
        .defer("item__text_sealed")
        .get(pk=lease_id, annotator_id=actor.user.pk)
    )


def _live_leases(item_id: int, now: datetime, exclude: int | None = None) -> tuple[int, datetime | None]:
    """Live non-gold leases on an item, counted exactly; call with the item locked."""
    qs = Lease.objects.filter(item_id=item_id, state=LeaseState.ACTIVE, is_gold=False, expires_at__gt=now)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    agg = qs.aggregate(n=Count("id"), until=Max("expires_at"))
    return int(agg["n"]), agg["until"]


def _recount(item: Item, now: datetime, *, exclude: int | None = None, **changes: Any) -> None:
    """Rewrite a locked item's lease counters from the lease table, with other field changes."""
    n, until = _live_leases(item.pk, now, exclude)
    Item.objects.filter(pk=item.pk).update(lease_count=n, leased_until=until, **changes)


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


_labelsets: dict[tuple[str, str], LabelSet] = {}


def _labelset(kind: str, schema: Any) -> LabelSet:
    """The parsed schema, cached by its text: parsing on every submit would be wasted work."""
    raw = schema if isinstance(schema, str) else orjson.dumps(schema).decode()
    key = (kind, raw)
    labelset = _labelsets.get(key)
    if labelset is None:
        if len(_labelsets) > 1000:
            _labelsets.clear()
        labelset = _labelsets[key] = parse_schema(kind, orjson.loads(raw))
    return labelset


def _validate(
    kind: str, schema: Any, text: str, labels: Any, spans: Any, comment: Any
) -> tuple[list[str], list[dict[str, Any]], str]:
    labelset = _labelset(kind, schema)
    # Span offsets are against the redacted text: that is the text the annotator was shown.
    return (
        validate_labels(labelset, labels if labels is not None else []),
        validate_spans(labelset, spans if spans is not None else [], text),
        validate_comment(labelset, comment),
    )


_last_counts_event: dict[int, float] = {}


def publish_counts(*, project_id: int, overlap: int) -> None:
    """After commit, send ``queue.counts`` for the project: at most once per interval per project
    (per process by clock, across processes through the cache), so a busy queue costs one cache
    call a second per process, not one per submit."""
    interval = queue_setting("QUEUE_EVENT_INTERVAL")
    tick = time.monotonic()
    if tick - _last_counts_event.get(project_id, -1e9) < interval:
        return
    _last_counts_event[project_id] = tick
    if not cache.add(f"queue:counts-event:{project_id}", 1, timeout=max(1, int(interval))):
        return

    def send() -> None:
        counts = project_queue_counts(project_id=project_id, overlap=overlap)
        publish_project_event(project_id, {"type": "queue.counts", "project": project_id, **counts})

    transaction.on_commit(send)


# --- claim -------------------------------------------------------------------------------------------


def check_claim(actor: Actor, ctx: QueueContext) -> None:
    require_role(actor, Role.ANNOTATOR, Role.REVIEWER)
    if ctx.paused:
        raise ProjectPaused("This project is paused; no new items are handed out.")
    # Quality gate: an annotator paused for low gold accuracy gets nothing; one still in the
    # project's qualification test gets gold items only (lease_claim).
    if ctx.gate.refusal:
        raise AnnotatorPaused(ctx.gate.refusal)


def lease_claim(*, actor: Actor, project_id: int) -> Lease | None:
    """Lease the next item of the project to the acting annotator, or return the live lease they
    already hold there. None when nothing is free for them.

    Outside a transaction each claim statement runs on its own (it is atomic by itself) and
    commits without waiting for its WAL flush (``ClaimRequest.standalone``): a claim lost in a
    database crash only frees its item again. Inside a caller's transaction it takes a savepoint
    and the caller's commit decides."""
    ctx = claim_context(actor, project_id)  # raises AccessDenied: other organization, not routed
    check_claim(actor, ctx)
    user_id = actor.user.pk
    now = timezone.now()
    view = view_field(actor.clearance)
    standalone = not connection.in_atomic_block
    req = ClaimRequest(
        project_id=project_id, user_id=user_id, vendor_id=actor.vendor_id, overlap=ctx.overlap,
        route=ctx.route, now=now, expires=now + timedelta(seconds=ctx.lease_seconds), view=view,
        standalone=standalone,
    )
    gate = ctx.gate
    gold = gate.gold_only or (ctx.gold_rate > 0 and random.random() < ctx.gold_rate)

    def attempt() -> Served | None:
        row = claim_once(req, gold=True) if gold else None
        return row or (None if gate.gold_only else claim_once(req, gold=False))

    retired = False
    for pause in (*RETRY_BACKOFF, None):
        try:
            if standalone:
                row = attempt()
            else:
                with transaction.atomic():
                    row = attempt()
        except IntegrityError:
            row = None  # a concurrent claim of this annotator won: serve theirs, below
        if row is not None:
            return served_lease(row, project_id=project_id, user_id=user_id, view=view)
        current = current_lease(user_id=user_id, project_id=project_id, view=view)
        if current is not None:
            if current[1] > now:
                return served_lease(current, project_id=project_id, user_id=user_id, view=view)
            if not retired:
                # Lazy cleanup: it holds nothing any more; the annotator may claim afresh.
                Lease.objects.filter(pk=current[0], state=LeaseState.ACTIVE).update(
                    state=LeaseState.EXPIRED, ended_at=now
                )
                retired = True
                continue
        if pause is None or not anything_free(req):
            return None
        time.sleep(pause)  # the only free items were locked for a moment by others: look again
    return None


# --- heartbeat, skip, release ------------------------------------------------------------------------


@transaction.atomic
def lease_heartbeat(*, actor: Actor, lease_id: int) -> Lease:
    """Extend the acting user's lease by the project's lease time. A lease that already ran out
    is revived if its item still has a free slot for it, else ``lease_expired``."""
    lease = _lock_lease(actor, lease_id)
    if lease.state != LeaseState.ACTIVE:
        raise LeaseEnded(f"This lease has ended ({lease.state}).")
    now = timezone.now()
    expires = now + timedelta(seconds=lease.project.lease_seconds)
    item = lease.item
    if not lease.is_gold:
        if lease.expires_at > now:
            Item.objects.filter(pk=item.pk).update(leased_until=_later(item.leased_until, expires))
        else:
            n, until = _live_leases(item.pk, now, exclude=lease.pk)
            target = item.overlap_target or lease.project.overlap
            if item.state != ItemState.OPEN or item.annotation_count + n >= target:
                raise LeaseExpired("This lease ran out and the item went to someone else.")
            Item.objects.filter(pk=item.pk).update(lease_count=n + 1, leased_until=_later(until, expires))
    lease.expires_at = expires
    lease.save(update_fields=["expires_at"])
    return lease


@transaction.atomic
def lease_skip(*, actor: Actor, lease_id: int, reason: str) -> Skip:
    """Pass on the leased item: it is never served to this annotator again, and its slot frees."""
    lease = _lock_lease(actor, lease_id)
    if lease.state != LeaseState.ACTIVE:
        raise LeaseEnded(f"This lease has ended ({lease.state}).")
    now = timezone.now()
    skip, _ = Skip.objects.get_or_create(
        item_id=lease.item_id, annotator_id=actor.user.pk, defaults={"reason": reason[:500]}
    )
    lease.state, lease.ended_at = LeaseState.SKIPPED, now
    lease.save(update_fields=["state", "ended_at"])
    if not lease.is_gold:
        _recount(lease.item, now, exclude=lease.pk)
    return skip


def _release(lease: Lease, now: datetime) -> None:
    lease.state, lease.ended_at = LeaseState.RELEASED, now
    lease.save(update_fields=["state", "ended_at"])
    if not lease.is_gold:
        _recount(lease.item, now, exclude=lease.pk)


def leases_release_for_user(*, user: User) -> int:
    """End every active lease of the user (they logged out): their items are free at once."""
    released = 0
    active = Lease.objects.filter(annotator_id=user.pk, state=LeaseState.ACTIVE)
    for lease_id in active.values_list("pk", flat=True):
        with transaction.atomic():
            lease = (
                Lease.objects.select_for_update(of=("self", "item"))
                .select_related("item")
                .defer("item__text_sealed")
                .filter(pk=lease_id, state=LeaseState.ACTIVE)
                .first()
            )
            if lease is not None:
                _release(lease, timezone.now())
                released += 1
    return released


def on_user_logged_out(sender: object, user: User | None = None, **kwargs: object) -> None:
    """``user_logged_out`` receiver (connected in apps.py): a person who leaves holds nothing."""
    if user is not None and user.pk is not None:
        leases_release_for_user(user=user)


# --- submit ---------------------------------------------------------------------------------------------


@dataclass
class _Held:
    """A locked lease with what submitting needs of its item and project."""

    state: str
    item_id: int
    is_gold: bool
    expires_at: datetime
    item_state: str
    annotation_count: int
    view_text: str  # the text the annotator saw: spans are offsets into it
    project_id: int
    kind: str
    label_schema: Any
    overlap: int


# The lease with what submitting needs; {lock} is empty (a read) or locks the lease and its item.
_HELD_SQL = """
SELECT l.state, l.item_id, l.is_gold, l.expires_at, i.state, i.annotation_count, i.{view},
       p.id, p.kind, p.label_schema, COALESCE(i.overlap_target, p.overlap)
FROM annotation_lease l
JOIN annotation_item i ON i.id = l.item_id
JOIN annotation_project p ON p.id = l.project_id
WHERE l.id = %s AND l.annotator_id = %s{lock}
"""
_LOCK = "\nFOR UPDATE OF l, i"

# One statement after the lock: the annotation, the item's counters (recounted from the leases:
# this statement's snapshot is younger than the lock, so it sees every claim of the item) and the
# lease's end.
_SUBMIT_SQL = """
WITH live AS (
    SELECT COUNT(*) AS n, MAX(expires_at) AS until FROM annotation_lease
    WHERE item_id = %(item)s AND state = 'active' AND NOT is_gold AND expires_at > %(now)s
      AND id <> %(lease)s
), ann AS (
    INSERT INTO annotation_annotation
        (item_id, annotator_id, vendor_id, labels, spans, comment, time_spent_ms, source,
         model_version, confidence, client_key, created_at, updated_at)
    VALUES (%(item)s, %(user)s, %(vendor)s::bigint, %(labels)s::jsonb, %(spans)s::jsonb, %(comment)s,
            %(time_spent_ms)s, 'human', '', NULL, %(client_key)s, %(now)s, %(now)s)
    RETURNING id
), itm AS (
    UPDATE annotation_item i
    SET annotation_count = i.annotation_count + 1,
        lease_count = CASE WHEN i.is_gold THEN i.lease_count ELSE live.n END,
        leased_until = CASE WHEN i.is_gold THEN i.leased_until ELSE live.until END,
        state = %(item_state)s
    FROM live WHERE i.id = %(item)s
), ls AS (
    UPDATE annotation_lease SET state = 'submitted', ended_at = %(now)s WHERE id = %(lease)s
)
SELECT id FROM ann
"""


# The everyday submit, on a live lease of a non-gold item, as one statement in its own transaction
# (autocommit): the lease ends only if it is still active and live once its row is locked; the
# item's counters drop by this lease (a live lease is always counted there: see
# ``annotation.queueing``) and its state is decided on its newest row version, which the update
# reads after taking the row lock; the annotation and the quality rollups ({rollups}:
# ``quality.services.submission_rollup``) are written from those rows. No row back: the lease
# changed since it was read, and the locked path decides what to answer.
_SUBMIT_LIVE_SQL = """
WITH ls AS (
    UPDATE annotation_lease SET state = 'submitted', ended_at = %(now)s
    WHERE id = %(lease)s AND annotator_id = %(user)s AND state = 'active' AND NOT is_gold
      AND expires_at > %(now)s
    RETURNING item_id
), itm AS (
    UPDATE annotation_item i
    SET annotation_count = i.annotation_count + 1,
        lease_count = CASE WHEN i.leased_until > %(now)s AND i.lease_count > 1 THEN i.lease_count - 1 ELSE 0 END,
        leased_until = CASE WHEN i.leased_until > %(now)s AND i.lease_count > 1 THEN i.leased_until END,
        state = CASE WHEN i.state = 'open' AND i.annotation_count + 1 >= %(target)s THEN 'done' ELSE i.state END
    FROM ls WHERE i.id = ls.item_id
    RETURNING i.id
), ann AS (
    INSERT INTO annotation_annotation
        (item_id, annotator_id, vendor_id, labels, spans, comment, time_spent_ms, source,
         model_version, confidence, client_key, created_at, updated_at)
    SELECT itm.id, %(user)s, %(vendor)s::bigint, %(labels)s::jsonb, %(spans)s::jsonb, %(comment)s,
           %(time_spent_ms)s, 'human', '', NULL, %(client_key)s, %(now)s, %(now)s
    FROM itm
    RETURNING id
), {rollups}
SELECT id FROM ann
"""


def _new_annotation(
    actor: Actor, held: _Held, labels: list[str], spans: list[dict[str, Any]], comment: str, time_spent_ms: int,
    client_key: str, now: datetime,
) -> Annotation:
    """The acting annotator's human answer for the held item, validated, not yet written."""
    return Annotation(
        item_id=held.item_id, annotator_id=actor.user.pk, vendor_id=actor.vendor_id, labels=labels, spans=spans,
        comment=comment, time_spent_ms=max(0, int(time_spent_ms)), source=AnnotationSource.HUMAN,
        client_key=client_key, created_at=now, updated_at=now,
    )


def _mark_saved(annotation: Annotation, pk: int) -> None:
    """The annotation was written by a hand-written statement: give it its id and a saved state."""
    annotation.pk = pk
    annotation._state.adding = False
    annotation._state.db = DEFAULT_DB_ALIAS


def _submit_live(
    actor: Actor, lease_id: int, held: _Held, labels: Any, spans: Any, comment: Any, time_spent_ms: int,
    client_key: str, undo: timedelta,
) -> Submitted | None:
    """Submit on a live lease of a non-gold item in one round trip; None when the locked path must
    decide (gold, ended or expired lease, or the lease changed meanwhile)."""
    now = timezone.now()
    if held.state != LeaseState.ACTIVE or held.is_gold or held.expires_at <= now:
        return None
    labels, spans, comment = _validate(held.kind, held.label_schema, held.view_text, labels, spans, comment)
    user_id = actor.user.pk
    annotation = _new_annotation(actor, held, labels, spans, comment, time_spent_ms, client_key, now)
    rollups, params = submission_rollup(
        annotation_source="ann", project_id=held.project_id, item_id=held.item_id, annotator_id=user_id,
        vendor_id=actor.vendor_id, labels=labels, time_spent_ms=annotation.time_spent_ms,
        day=timezone.localdate(now),
    )
    params.update(
        now=now, lease=lease_id, user=user_id, target=held.overlap, vendor=actor.vendor_id,
        labels=orjson.dumps(labels).decode(), spans=orjson.dumps(spans).decode(), comment=comment,
        time_spent_ms=annotation.time_spent_ms, client_key=client_key,
    )
    sql = _SUBMIT_LIVE_SQL.format(rollups=rollups)
    if connection.in_atomic_block:  # a caller's transaction: a failed statement must not abort it
        with transaction.atomic():
            row = fetch_one(sql, params)
    else:
        row = fetch_one(sql, params)
    if row is None:
        return None
    _mark_saved(annotation, int(row[0]))
    submission_recorded(project_id=held.project_id, vendor_id=actor.vendor_id, fold=bool(labels))
    publish_counts(project_id=held.project_id, overlap=held.overlap)
    return Submitted(annotation, True, now + undo)


def _retry_of(user_id: int, item_id: int, client_key: str) -> Annotation | None:
    if not client_key:
        return None
    return Annotation.objects.filter(annotator_id=user_id, client_key=client_key, item_id=item_id).first()


def annotation_submit(
    *,
    actor: Actor,
    lease_id: int,
    labels: Any = None,
    spans: Any = None,
    comment: Any = "",
    time_spent_ms: int = 0,
    client_key: str = "",
) -> Submitted:
    """Record the acting annotator's labels for their leased item. Validated against the project's
    schema (SchemaError names the field). Idempotent by ``client_key``: a retry returns the first
    submission with ``created=False`` and counts nothing."""
    undo = timedelta(seconds=queue_setting("UNDO_SECONDS"))
    user_id = actor.user.pk
    held: _Held | None = None
    try:
        if connection.vendor == "postgresql":
            held = _read_held(actor, lease_id, lock=False)
            submitted = _submit_live(
                actor, lease_id, held, labels, spans, comment, time_spent_ms, client_key, undo
            )
            if submitted is not None:
                return submitted
        with transaction.atomic():
            held = _lock_held(actor, lease_id)
            if held.state != LeaseState.ACTIVE:
                existing = _retry_of(user_id, held.item_id, client_key)
                if existing is not None:
                    return Submitted(existing, False, existing.created_at + undo)
                raise LeaseEnded(f"This lease has ended ({held.state}).")
            labels, spans, comment = _validate(
                held.kind, held.label_schema, held.view_text, labels, spans, comment
            )
            now = timezone.now()
            if held.expires_at <= now and not held.is_gold:
                n, _ = _live_leases(held.item_id, now, exclude=lease_id)
                if held.item_state != ItemState.OPEN or held.annotation_count + n >= held.overlap:
                    raise LeaseExpired("This lease ran out and the item went to someone else.")
            item_state = held.item_state
            if not held.is_gold and item_state == ItemState.OPEN and held.annotation_count + 1 >= held.overlap:
                item_state = ItemState.DONE
            annotation = _new_annotation(actor, held, labels, spans, comment, time_spent_ms, client_key, now)
            if connection.vendor == "postgresql":
                _write_submit_postgres(annotation, lease_id, item_state, now)
            else:
                _write_submit_portable(annotation, lease_id, held, item_state, now)
            # Rollups (throughput, gold standing, cost) commit with the annotation, keyed by its id.
            record_submission(
                annotation_id=annotation.pk, project_id=held.project_id, item_id=held.item_id,
                annotator_id=user_id, vendor_id=actor.vendor_id, labels=labels, spans=spans,
                time_spent_ms=annotation.time_spent_ms, is_gold=held.is_gold, day=timezone.localdate(now),
            )
            publish_counts(project_id=held.project_id, overlap=held.overlap)
    except IntegrityError:
        # A concurrent identical retry won the race, or the key names another submission.
        item_id = held.item_id if held is not None else None
        existing = Annotation.objects.filter(annotator_id=user_id, client_key=client_key).first()
        if client_key and existing is not None and existing.item_id == item_id:
            return Submitted(existing, False, existing.created_at + undo)
        if client_key and existing is not None:
            raise LeaseEnded("This client_key was already used for another submission.") from None
        raise LeaseEnded("You already submitted this item.") from None
    return Submitted(annotation, True, annotation.created_at + undo)


def _read_held(actor: Actor, lease_id: int, *, lock: bool) -> _Held:
    """The acting user's lease (PostgreSQL), locked with its item if ``lock``."""
    sql = _HELD_SQL.format(view=view_field(actor.clearance), lock=_LOCK if lock else "")
    row = fetch_one(sql, [lease_id, actor.user.pk])
    if row is None:
        raise Lease.DoesNotExist("No such lease.")
    return _Held(*row)


def _lock_held(actor: Actor, lease_id: int) -> _Held:
    if connection.vendor == "postgresql":
        return _read_held(actor, lease_id, lock=True)
    lease = _lock_lease(actor, lease_id)
    return _Held(
        lease.state, lease.item_id, lease.is_gold, lease.expires_at, lease.item.state,
        lease.item.annotation_count, getattr(lease.item, view_field(actor.clearance)), lease.project_id,
        lease.project.kind,
        lease.project.label_schema, lease.item.overlap_target or lease.project.overlap,
    )


def _write_submit_postgres(annotation: Annotation, lease_id: int, item_state: str, now: datetime) -> None:
    row = fetch_one(
        _SUBMIT_SQL,
        {
            "item": annotation.item_id, "user": annotation.annotator_id, "vendor": annotation.vendor_id,
            "labels": orjson.dumps(annotation.labels).decode(),
            "spans": orjson.dumps(annotation.spans).decode(), "comment": annotation.comment,
            "time_spent_ms": annotation.time_spent_ms, "client_key": annotation.client_key,
            "now": now, "item_state": item_state, "lease": lease_id,
        },
    )
    assert row is not None
    _mark_saved(annotation, int(row[0]))


def _write_submit_portable(annotation: Annotation, lease_id: int, held: _Held, item_state: str, now: datetime) -> None:
    annotation.save(force_insert=True)
    changes: dict[str, Any] = {"annotation_count": F("annotation_count") + 1, "state": item_state}
    if not held.is_gold:
        n, until = _live_leases(held.item_id, now, exclude=lease_id)
        changes.update(lease_count=n, leased_until=until)
    Item.objects.filter(pk=held.item_id).update(**changes)
    Lease.objects.filter(pk=lease_id).update(state=LeaseState.SUBMITTED, ended_at=now)


# --- undo ------------------------------------------------------------------------------------------------


@transaction.atomic
def annotation_undo(*, actor: Actor, annotation_id: int) -> Lease:
    """Take back the acting annotator's last submission within the undo window: the annotation is
    deleted, the item reopens, and they get a fresh lease on it (any lease they held meanwhile in
    that project is given back)."""
    annotation = (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("item", "item__project")
        .defer("item__text_sealed")
        .get(pk=annotation_id, annotator_id=actor.user.pk)
    )
    now = timezone.now()
    last = Annotation.objects.filter(annotator_id=actor.user.pk).order_by("-id").values_list("pk", flat=True).first()
    if last != annotation.pk:
        raise UndoRefused("Only your last submission can be undone.")
    if now > annotation.created_at + timedelta(seconds=queue_setting("UNDO_SECONDS")):
        raise UndoRefused("The undo window for this submission has passed.")
    project = annotation.item.project
    if project.organization_id != actor.organization_id:
        raise AccessDenied("No such project.")
    for held in (
        Lease.objects.select_for_update(of=("self", "item")).select_related("item").defer("item__text_sealed")
        .filter(annotator_id=actor.user.pk, project_id=project.pk, state=LeaseState.ACTIVE)
    ):
        _release(held, now)
    item = Item.objects.select_for_update().defer("text_sealed").get(pk=annotation.item_id)
    record_retraction(annotation_id=annotation.pk)  # the rollups take it back in this transaction
    annotation.delete()
    expires = now + timedelta(seconds=project.lease_seconds)
    changes: dict[str, Any] = {"annotation_count": F("annotation_count") - 1}
    if not item.is_gold:
        n, until = _live_leases(item.pk, now)
        changes.update(lease_count=n + 1, leased_until=_later(until, expires))
        if item.state == ItemState.DONE:
            changes["state"] = ItemState.OPEN
    Item.objects.filter(pk=item.pk).update(**changes)
    lease = Lease.objects.create(
        project_id=project.pk, item_id=item.pk, annotator_id=actor.user.pk, vendor_id=actor.vendor_id,
        is_gold=item.is_gold, state=LeaseState.ACTIVE, created_at=now, expires_at=expires,
    )
    publish_counts(project_id=project.pk, overlap=project.overlap)
    view = view_field(actor.clearance)
    return served_lease(
        (
            lease.pk, expires, item.is_gold, item.pk, item.external_id, getattr(item, view), item.metadata,
            item.media, item.suggestion,
        ),
        project_id=project.pk, user_id=actor.user.pk, view=view,
    )


__all__ = [
    "AnnotatorPaused", "LeaseEnded", "LeaseExpired", "ProjectPaused", "QueueError", "Submitted", "UndoRefused",
    "annotation_submit", "annotation_undo", "lease_claim", "lease_heartbeat", "lease_skip",
    "leases_release_for_user", "on_user_logged_out", "publish_counts", "served_lease",
]
