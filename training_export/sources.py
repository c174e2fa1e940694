"""Where a snapshot's rows come from: one pass over a project's items with their human answers.

PostgreSQL (the fast path): one ordered query through a server-side cursor; each item's answers
are gathered by the database into one JSON text (``json_agg`` over the annotation index), so Python
parses one string per item instead of building ORM objects. Elsewhere (SQLite, embedded): the same
rows from ORM queries in id-ordered chunks. Both yield ``RawItem`` tuples in item-id order, and
both apply the purpose, jurisdiction and erasure checks, counting what they leave out.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import orjson
from django.db import connection

from annotation.models import Annotation, AnnotationSource, Item, Purpose

from .models import Adjudication, Erasure, TextLevel

TRAINING = Purpose.MODEL_TRAINING.value
T = TypeVar("T")


class RawItem(NamedTuple):
    id: int
    external_id: str
    text: str
    is_gold: bool
    reference: Any  # {"labels", "spans"} or None
    answers: list[Any]  # [[annotator_id, labels, spans], ...] in submission order
    adjudication: Any  # [labels, spans] or None


@dataclass(frozen=True)
class SourceSpec:
    project_id: int
    level: str
    forbidden_jurisdictions: tuple[str, ...] = ()
    vendor_id: int | None = None
    annotated_after: datetime | None = None
    annotated_before: datetime | None = None

    def human_answers(self, qs: Any) -> Any:
        """``qs`` (annotations) narrowed to the people's answers this snapshot takes: by vendor and time."""
        qs = qs.filter(source=AnnotationSource.HUMAN)
        if self.vendor_id is not None:
            qs = qs.filter(vendor_id=self.vendor_id)
        if self.annotated_after is not None:
            qs = qs.filter(created_at__gte=self.annotated_after)
        if self.annotated_before is not None:
            qs = qs.filter(created_at__lt=self.annotated_before)
        return qs


@dataclass
class Exclusions:
    purpose: int = 0
    jurisdiction: int = 0
    erased: int = 0
    items: int = 0  # items in the project, before any check
    extra: dict[str, int] = field(default_factory=dict)


def external_id_hash(external_id: str) -> str:
    return hashlib.sha256(external_id.encode("utf-8")).hexdigest()


def text_column(level: str) -> str:
    if level == TextLevel.RESTRICTED:
        return "text_redacted"
    if level == TextLevel.STANDARD:
        return "text_pseudonymized"
    return ""  # raw: opened per batch through privacy.content, never selected here


def standard_level_available() -> bool:
    return any(f.name == "text_pseudonymized" for f in Item._meta.get_fields())


def _has_erasures(project_id: int) -> bool:
    return Erasure.objects.filter(project_id=project_id).exists()


# --- PostgreSQL ---------------------------------------------------------------------------------

_ERASED_SQL = (
    "EXISTS (SELECT 1 FROM training_export_erasure e WHERE e.project_id = i.project_id"
    " AND e.external_id_hash = encode(sha256(convert_to(i.external_id, 'UTF8')), 'hex'))"
)
_PURPOSE_SQL = "i.allowed_purposes @> %(purpose)s::jsonb"
_JURISDICTION_SQL = "i.jurisdiction = ANY(%(forbidden)s)"


def _pg_params(spec: SourceSpec) -> dict[str, Any]:
    return {
        "project": spec.project_id,
        "purpose": orjson.dumps([TRAINING]).decode(),
        "forbidden": list(spec.forbidden_jurisdictions),
        "vendor": spec.vendor_id,
        "after": spec.annotated_after,
        "before": spec.annotated_before,
    }


def _pg_item_where(spec: SourceSpec, erasures: bool) -> str:
    where = ["i.project_id = %(project)s", _PURPOSE_SQL]
    if spec.forbidden_jurisdictions:
        where.append(f"NOT {_JURISDICTION_SQL}")
    if erasures:
        where.append(f"NOT {_ERASED_SQL}")
    return " AND ".join(where)


def _pg_answer_where(spec: SourceSpec) -> str:
    where = ["a.item_id = i.id", "a.source = 'human'"]
    if spec.vendor_id is not None:
        where.append("a.vendor_id = %(vendor)s")
    if spec.annotated_after is not None:
        where.append("a.created_at >= %(after)s")
    if spec.annotated_before is not None:
        where.append("a.created_at < %(before)s")
    return " AND ".join(where)


def pg_exclusions(spec: SourceSpec) -> Exclusions:
    erasures = _has_erasures(spec.project_id)
    juris = _JURISDICTION_SQL if spec.forbidden_jurisdictions else "false"
    erased = _ERASED_SQL if erasures else "false"
    sql = f"""
        SELECT count(*),
               count(*) FILTER (WHERE NOT {_PURPOSE_SQL}),
               count(*) FILTER (WHERE {_PURPOSE_SQL} AND {juris}),
               count(*) FILTER (WHERE {_PURPOSE_SQL} AND NOT {juris} AND {erased})
        FROM annotation_item i WHERE i.project_id = %(project)s
    """
    with connection.cursor() as cur:
        cur.execute(sql, _pg_params(spec))
        total, purpose, jurisdiction, erased_n = cur.fetchone()
    return Exclusions(purpose=purpose, jurisdiction=jurisdiction, erased=erased_n, items=total)


def pg_rows(spec: SourceSpec, *, batch: int = 5000) -> Iterator[list[RawItem]]:
    """Batches of items in id order, through a named (server-side) cursor: constant memory."""
    col = text_column(spec.level)
    text_sql = f"i.{col}" if col else "''"
    sql = f"""
        SELECT i.id, i.external_id, {text_sql}, i.is_gold, i.reference::text,
               (SELECT json_agg(json_build_array(a.annotator_id, a.labels, a.spans) ORDER BY a.id)::text
                  FROM annotation_annotation a WHERE {_pg_answer_where(spec)}),
               (SELECT json_build_array(j.labels, j.spans)::text
                  FROM training_export_adjudication j WHERE j.item_id = i.id)
        FROM annotation_item i
        WHERE {_pg_item_where(spec, _has_erasures(spec.project_id))}
        ORDER BY i.id
    """
    # The raw connection is taken here, in the caller's thread (see ``pg_majority_rows``).
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    return _raw_items(_fetch(raw, sql, _pg_params(spec), f"snapshot_rows_{id(spec)}", batch))


def _raw_items(batches: Generator[list[tuple[Any, ...]], None, None]) -> Iterator[list[RawItem]]:
    loads = orjson.loads
    with closing(batches):  # closing this generator closes the server-side cursor at once
        for rows in batches:
            yield [
                RawItem(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    loads(r[4]) if r[4] is not None else None,
                    loads(r[5]) if r[5] is not None else [],
                    loads(r[6]) if r[6] is not None else None,
                )
                for r in rows
            ]


# --- portable (ORM) -----------------------------------------------------------------------------


def orm_rows(spec: SourceSpec, exclusions: Exclusions, *, batch: int = 2000) -> Iterator[list[RawItem]]:
    """The same rows through the ORM, in id-ordered chunks; counts exclusions as it goes."""
    col = text_column(spec.level)
    erased_hashes = set(Erasure.objects.filter(project_id=spec.project_id).values_list("external_id_hash", flat=True))
    fields = ["id", "external_id", "is_gold", "reference", "allowed_purposes", "jurisdiction"]
    if col:
        fields.append(col)
    last = 0
    forbidden = set(spec.forbidden_jurisdictions)
    while True:
        chunk = list(
            Item.objects.filter(project_id=spec.project_id, pk__gt=last).order_by("pk").values(*fields)[:batch]
        )
        if not chunk:
            return
        last = chunk[-1]["id"]
        exclusions.items += len(chunk)
        kept = []
        for it in chunk:
            if TRAINING not in (it["allowed_purposes"] or []):
                exclusions.purpose += 1
            elif it["jurisdiction"] in forbidden:
                exclusions.jurisdiction += 1
            elif erased_hashes and external_id_hash(it["external_id"]) in erased_hashes:
                exclusions.erased += 1
            else:
                kept.append(it)
        ids = [it["id"] for it in kept]
        answers: dict[int, list[Any]] = {}
        qs = spec.human_answers(Annotation.objects.filter(item_id__in=ids))
        for item_id, annotator_id, labels, spans in qs.order_by("id").values_list(
            "item_id", "annotator_id", "labels", "spans"
        ):
            answers.setdefault(item_id, []).append([annotator_id, labels, spans])
        adjudications = {
            a["item_id"]: [a["labels"], a["spans"]]
            for a in Adjudication.objects.filter(item_id__in=ids).values("item_id", "labels", "spans")
        }
        yield [
            RawItem(
                it["id"],
                it["external_id"],
                it[col] if col else "",
                it["is_gold"],
                it["reference"],
                answers.get(it["id"], []),
                adjudications.get(it["id"]),
            )
            for it in kept
        ]


def gold_stats(spec: SourceSpec, *, kind: str) -> dict[int, tuple[int, int]]:
    """Per annotator: (answers matching the gold reference, gold answers), for weighted voting."""
    key = "spans" if kind == "span" else "labels"
    stats: dict[int, list[int]] = {}
    qs = Annotation.objects.filter(
        item__project_id=spec.project_id,
        item__is_gold=True,
        item__reference__isnull=False,
        source=AnnotationSource.HUMAN,
        annotator__isnull=False,
    ).values_list("annotator_id", key, "item__reference")
    for annotator_id, answer, reference in qs.iterator(chunk_size=5000):
        ref = (reference or {}).get(key, [])
        s = stats.setdefault(annotator_id, [0, 0])
        s[1] += 1
        if _same_answer(answer, ref, kind):
            s[0] += 1
    return {k: (v[0], v[1]) for k, v in stats.items()}


def _same_answer(a: Sequence[Any], b: Sequence[Any], kind: str) -> bool:
    if kind == "span":
        return {(s["start"], s["end"], s["label"]) for s in a} == {(s["start"], s["end"], s["label"]) for s in b}
    return set(a) == set(b)


# --- PostgreSQL, single-label majority: the vote counted by the database ------------------------


# The split bucket of ``build.split_of`` computed by the database (it has a core to spare while
# Python formats rows): the first 8 bytes of sha256(external_id) as an unsigned integer, mod 1000.
# PostgreSQL reads them as a signed bigint; 2**64 mod 1000 = 616 puts negative ones right.
SPLIT_BUCKET_SQL = """(
    (('x' || left(encode(sha256(convert_to(i.external_id, 'UTF8')), 'hex'), 16))::bit(64)::bigint %% 1000
     + CASE WHEN ('x' || left(encode(sha256(convert_to(i.external_id, 'UTF8')), 'hex'), 16))::bit(64)::bigint < 0
            THEN 1616 ELSE 1000 END) %% 1000
)::int"""


def pg_majority_rows(spec: SourceSpec, *, voters: bool = False, batch: int = 5000) -> Iterator[list[tuple[Any, ...]]]:
    """The hot path (single-label projects): ``(id, external_id, text, gold_label, adjudicated_label,
    votes, voters, split_bucket)`` per item; ``votes`` is the first label of every human answer
    (None when there are none) and ``voters`` the annotators who gave them, in the same order
    (only when asked: None otherwise).
    One merge join of items with their answers grouped by item: a few microseconds an item in
    PostgreSQL, against several times that for a per-item subquery. Callers count the votes."""
    col = text_column(spec.level)
    text_sql = f"i.{col}" if col else "''"
    answer_on = _pg_answer_where(spec).replace("a.item_id = i.id AND ", "", 1)
    # A project without adjudications (the usual case) spares a lookup per item.
    adjudicated_sql = (
        "(SELECT j.labels ->> 0 FROM training_export_adjudication j WHERE j.item_id = i.id)"
        if Adjudication.objects.filter(item__project_id=spec.project_id).exists()
        else "NULL"
    )
    # Who voted matters only to weighted votes; an unused array costs a parse per row.
    voters_sql = (
        "array_agg(a.annotator_id) FILTER (WHERE a.id IS NOT NULL AND jsonb_array_length(a.labels) > 0)"
        if voters
        else "NULL"
    )
    sql = f"""
        SELECT i.id, i.external_id, {text_sql},
               CASE WHEN i.is_gold THEN i.reference -> 'labels' ->> 0 END,
               {adjudicated_sql},
               array_agg(a.labels ->> 0) FILTER (WHERE a.id IS NOT NULL AND jsonb_array_length(a.labels) > 0),
               {voters_sql},
               {SPLIT_BUCKET_SQL}
        FROM annotation_item i
        LEFT JOIN annotation_annotation a ON a.item_id = i.id AND {answer_on}
        WHERE {_pg_item_where(spec, _has_erasures(spec.project_id))}
        GROUP BY i.id
        ORDER BY i.id
    """
    # The raw connection is taken here, in the caller's thread: Django's ``connection`` is per
    # thread, and the batches may be fetched from another one (``prefetched``).
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    return _fetch(raw, sql, _pg_params(spec), f"snapshot_votes_{id(spec)}", batch)


def answer_rows(spec: SourceSpec, *, batch: int = 20000) -> Iterator[list[tuple[Any, ...]]]:
    """``(item_id, annotator_id, first label)`` of the project's human answers, by item id."""
    sql = f"""
        SELECT a.item_id, a.annotator_id, a.labels ->> 0
        FROM annotation_annotation a JOIN annotation_item i ON i.id = a.item_id
        WHERE i.project_id = %(project)s AND {_pg_answer_where(spec).replace("a.item_id = i.id AND ", "", 1)}
        ORDER BY a.item_id
    """
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    return _fetch(raw, sql, _pg_params(spec), f"snapshot_answers_{id(spec)}", batch)


def _fetch(
    raw: Any, sql: str, params: dict[str, Any], name: str, batch: int
) -> Generator[list[tuple[Any, ...]], None, None]:
    with raw.cursor(name=name) as cur:
        cur.itersize = batch
        cur.execute(sql, params)
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            yield rows


def prefetched(batches: Iterator[T], *, depth: int = 2) -> Iterator[T]:
    """Iterate ``batches`` in a background thread, ``depth`` batches ahead: the database computes
    the next batch (no GIL held while waiting) while this thread formats the current one. Memory
    stays bounded by ``depth`` batches."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(msg: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                q.put(msg, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for b in batches:
                if not put(("batch", b)):
                    break
        except BaseException as e:  # handed to the consumer, raised there
            put(("error", e))
        else:
            put(("done", None))
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=run, name="snapshot-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, payload = q.get()
            if kind == "batch":
                yield payload
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        stop.set()
        thread.join()
