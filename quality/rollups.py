"""Incremental writes to the daily rollups: one upsert per table, counters added in place.

On PostgreSQL each bump is one ``INSERT ... ON CONFLICT DO UPDATE`` (the row lock is taken and
released by the statement's transaction; two submissions of one vendor serialize only on that row,
for the rest of their transaction). Elsewhere (SQLite, embedded) the row is read, changed and saved
under the database's write lock. Histograms are fixed-length JSON arrays so an element can be
incremented in place (``jsonb_set``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from annotation.models import Project
from annotation.queueing.sql import fetch_one

from .metrics import HIST_BUCKETS
from .models import AnnotatorDay, SubmissionRecord, VendorDay

# Rows per vendor and day (VendorDay.shard): submissions of different annotators of one vendor
# rarely wait on each other's row lock.
VENDOR_SHARDS = 8

COUNTERS = ("submitted", "gold_seen", "gold_correct", "handling_ms", "rejected", "rejected_ms")


def _hist(bucket: int | None, sign: int) -> list[int]:
    hist = [0] * HIST_BUCKETS
    if bucket is not None:
        hist[bucket] = sign
    return hist


_CASTS = {
    "organization_id": "bigint",
    "project_id": "bigint",
    "annotator_id": "bigint",
    "vendor_key": "bigint",
    "vendor_id": "bigint",
    "shard": "smallint",
    "day": "date",
    "submitted": "int",
    "gold_seen": "int",
    "gold_correct": "int",
    "handling_ms": "bigint",
    "rejected": "int",
    "rejected_ms": "bigint",
    "hist": "jsonb",
}

_UPSERT_SQL = """
{name} AS (
    INSERT INTO {table} AS t ({columns})
    {source}
    ON CONFLICT ({conflict}, day) DO UPDATE SET
        submitted = t.submitted + EXCLUDED.submitted,
        gold_seen = t.gold_seen + EXCLUDED.gold_seen,
        gold_correct = t.gold_correct + EXCLUDED.gold_correct,
        handling_ms = t.handling_ms + EXCLUDED.handling_ms,
        rejected = t.rejected + EXCLUDED.rejected,
        rejected_ms = t.rejected_ms + EXCLUDED.rejected_ms,
        hist = CASE WHEN %(bucket)s::int IS NULL THEN t.hist
                    ELSE jsonb_set(t.hist, ARRAY[%(bucket)s::text],
                                   to_jsonb(COALESCE((t.hist->>%(bucket)s::int)::int, 0) + %(bsign)s::int))
               END
    RETURNING 1
)"""

_RECORD_COLUMNS = (
    "annotation_id, project_id, item_id, annotator_id, vendor_key, day, handling_ms, is_gold, gold_correct, "
    "rejected, retracted"
)
_RECORD_VALUES = (
    "%(r_project_id)s, %(r_item_id)s, %(r_annotator_id)s, %(r_vendor_key)s, %(r_day)s, %(r_handling_ms)s, "
    "%(r_is_gold)s, %(r_gold_correct)s, FALSE, FALSE"
)


def _record_sql(annotation_source: str | None) -> str:
    """The submission record (``rec``): its annotation id is the parameter ``r_annotation_id``, or
    the ``id`` of the row of the CTE named ``annotation_source`` (written in the same statement)."""
    if annotation_source is None:
        source = f"VALUES (%(r_annotation_id)s, {_RECORD_VALUES})"
    else:
        source = f"SELECT {annotation_source}.id, {_RECORD_VALUES} FROM {annotation_source}"
    return f"""
rec AS (
    INSERT INTO quality_submissionrecord ({_RECORD_COLUMNS})
    {source}
    ON CONFLICT (annotation_id) DO NOTHING
    RETURNING 1
)"""


# The project's organization, read in the statement itself rather than by a query of its own.
_ORG = "(SELECT organization_id FROM annotation_project WHERE id = %(project_id)s::bigint)"


# The item's agreement contribution is now stale: the fold picks it up.
_DIRTY_SQL = """
d AS (
    INSERT INTO quality_agreementdirty (item_id, project_id)
    SELECT %(r_item_id)s::bigint, %(project_id)s::bigint FROM rec
    ON CONFLICT (item_id) DO NOTHING
    RETURNING 1
)"""


def _upsert(name: str, table: str, columns: list[str], conflict: tuple[str, ...], from_rec: bool) -> str:
    values = ", ".join(_ORG if c == "organization_id" else f"%({c})s::{_CASTS[c]}" for c in columns)
    source = f"SELECT {values} FROM rec" if from_rec else f"VALUES ({values})"
    return _UPSERT_SQL.format(
        name=name, table=table, columns=", ".join(columns), source=source, conflict=", ".join(conflict)
    )


def _pg_ctes(record: bool, mark_item: bool, annotation_source: str | None = None) -> str:
    """The rollup writes as CTEs: (the submission record ``rec``, then) both day rows, ``a`` and
    ``v``, bumped only if the record is new (and the item marked for the agreement fold, ``d``)."""
    counters = ["day", *COUNTERS, "hist"]
    ann = _upsert(
        "a",
        "quality_annotatorday",
        ["organization_id", "project_id", "annotator_id", "vendor_key", *counters],
        ("project_id", "annotator_id"),
        record,
    )
    ven = _upsert(
        "v",
        "quality_vendorday",
        ["organization_id", "project_id", "vendor_id", "vendor_key", "shard", *counters],
        ("project_id", "vendor_key", "shard"),
        record,
    )
    if not record:
        return f"{ann}, {ven}"
    dirty = f", {_DIRTY_SQL}" if mark_item else ""
    return f"{_record_sql(annotation_source)}, {ann}, {ven}{dirty}"


def _pg_params(
    *, project_id: int, annotator_id: int, vendor_key: int, day: date, incs: dict[str, int], bucket: int | None,
    bsign: int, record: dict[str, Any] | None,
) -> dict[str, Any]:
    import orjson

    params: dict[str, Any] = {
        "project_id": project_id,
        "annotator_id": annotator_id,
        "vendor_key": vendor_key,
        "vendor_id": vendor_key or None,
        "shard": annotator_id % VENDOR_SHARDS,
        "day": day,
        "bucket": bucket,
        "bsign": bsign,
        "hist": orjson.dumps(_hist(bucket, bsign)).decode(),
        **{c: int(incs.get(c, 0)) for c in COUNTERS},
    }
    if record is not None:
        params.update({f"r_{k}": v for k, v in record.items()})
    return params


def submission_ctes(
    *, annotation_source: str, project_id: int, item_id: int, annotator_id: int, vendor_key: int, day: date,
    handling_ms: int, bucket: int | None, mark_item: bool,
) -> tuple[str, dict[str, Any]]:
    """``bump`` of a new non-gold submission on PostgreSQL, as CTEs (and their parameters) for the
    statement that writes the annotation itself: the record takes its id from the CTE named
    ``annotation_source``, so the rollups commit with the annotation, in one round trip."""
    record = {
        "project_id": project_id, "item_id": item_id, "annotator_id": annotator_id, "vendor_key": vendor_key,
        "day": day, "handling_ms": handling_ms, "is_gold": False, "gold_correct": False,
    }
    params = _pg_params(
        project_id=project_id, annotator_id=annotator_id, vendor_key=vendor_key, day=day,
        incs={"submitted": 1, "handling_ms": handling_ms}, bucket=bucket, bsign=1, record=record,
    )
    return _pg_ctes(True, mark_item, annotation_source), params


def _pg_write(params: dict[str, Any], record: bool, mark_item: bool = False) -> bool:
    """One statement: (the submission record, then) both day rows. With a record, the rows are bumped
    only if the record is new, so a repeated call counts nothing; returns whether it was new."""
    ctes = _pg_ctes(record, mark_item)
    if record:
        sql = f"WITH {ctes} SELECT (SELECT count(*) FROM rec), (SELECT count(*) FROM v)"
    else:
        sql = f"WITH {ctes} SELECT 1, (SELECT count(*) FROM v)"
    # Prepared once per connection, as the queue's own statements are: planning this four-part upsert
    # cost more than running it, on every submission.
    row = fetch_one(sql, params)
    return bool(row and row[0])


def _portable_bump(
    model: Any,
    keys: dict[str, Any],
    conflict: tuple[str, ...],
    day: date,
    incs: dict[str, int],
    bucket: int | None,
    bsign: int,
) -> None:
    lookup = {k: keys[k] for k in conflict}
    for _ in range(2):
        row = model.objects.select_for_update().filter(**lookup, day=day).first()
        if row is not None:
            hist = list(row.hist) + [0] * max(0, HIST_BUCKETS - len(row.hist))
            if bucket is not None:
                hist[bucket] += bsign
            model.objects.filter(pk=row.pk).update(hist=hist, **{c: F(c) + v for c, v in incs.items() if v})
            return
        try:
            with transaction.atomic():
                model.objects.create(
                    **keys, day=day, hist=_hist(bucket, bsign), **{c: int(incs.get(c, 0)) for c in COUNTERS}
                )
            return
        except IntegrityError:
            continue  # created concurrently: update it
    raise RuntimeError("rollup row could not be written")


_orgs: dict[int, int] = {}


def organization_of(project_id: int) -> int:
    """A project's organization (it never changes), remembered per process: one query per project."""
    org = _orgs.get(project_id)
    if org is None:
        org = _orgs[project_id] = int(Project.objects.values_list("organization_id", flat=True).get(pk=project_id))
    return org


def bump(
    *,
    project_id: int,
    annotator_id: int,
    vendor_key: int,
    day: date,
    incs: dict[str, int],
    bucket: int | None = None,
    bsign: int = 1,
    record: dict[str, Any] | None = None,
    mark_item: bool = False,
) -> bool:
    """Add ``incs`` (and one histogram count in ``bucket``) to the annotator's and vendor's day rows.
    With ``record`` (the SubmissionRecord's fields), the record is written first and the rows are
    bumped only if it is new; returns False when it already existed."""
    vendor_id = vendor_key or None
    if connection.vendor == "postgresql":
        params = _pg_params(
            project_id=project_id, annotator_id=annotator_id, vendor_key=vendor_key, day=day, incs=incs,
            bucket=bucket, bsign=bsign, record=record,
        )
        return _pg_write(params, record is not None, mark_item)
    if record is not None:
        if SubmissionRecord.objects.filter(pk=record["annotation_id"]).exists():
            return False
        SubmissionRecord.objects.create(**record)
    org_id = organization_of(project_id)
    ann_keys = {
        "organization_id": org_id,
        "project_id": project_id,
        "annotator_id": annotator_id,
        "vendor_key": vendor_key,
    }
    ven_keys = {
        "organization_id": org_id, "project_id": project_id, "vendor_key": vendor_key, "vendor_id": vendor_id,
        "shard": annotator_id % VENDOR_SHARDS,
    }
    _portable_bump(AnnotatorDay, ann_keys, ("project_id", "annotator_id"), day, incs, bucket, bsign)
    _portable_bump(VendorDay, ven_keys, ("project_id", "vendor_key", "shard"), day, incs, bucket, bsign)
    return True
