"""Building a snapshot: stream resolved rows into a temporary file, then publish it atomically.

The file is written under ``SNAPSHOT_DIR/tmp`` while its sha256 is computed on the fly, fsynced,
and ``os.replace``d to ``SNAPSHOT_DIR/<sha[:2]>/<sha>.<ext>`` (read-only); only then is the row
marked ``ready``. A crash at any point leaves at most a ``.part`` file and a row that is not
ready: never a visible half-written snapshot. The same data gives the same bytes, so a rebuild
lands on the same file.

All reads run in one REPEATABLE READ transaction on PostgreSQL: the counts, the annotator weights,
the Dawid-Skene pass and the rows all see the same data.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import uuid
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotation.models import Item
from privacy.canaries import Hit, alert, tripwire

from . import resolution
from .formats import EXTENSIONS, ExportContext, ExportRow, open_writer
from .formats.base import SINGLE_KINDS, Span
from .models import Erasure, Snapshot, SnapshotRange, SnapshotStatus, Strategy, TextLevel
from .sources import (
    Exclusions,
    RawItem,
    SourceSpec,
    gold_stats,
    orm_rows,
    pg_exclusions,
    pg_majority_rows,
    pg_rows,
    prefetched,
)

EXPORT_FORMAT_VERSION = "1"
DEFAULT_SPLIT = {"train": 0.8, "validation": 0.1, "test": 0.1}
# The database counts single-label majority votes itself (see resolved_rows); tests switch it off
# to check the general path gives the same bytes.
FAST_PATH = True
# Read through the ORM even on PostgreSQL (the embedded SQLite path); tests use it to hold the
# portable path to the same bytes.
PORTABLE = False


def _postgres() -> bool:
    return connection.vendor == "postgresql" and not PORTABLE


class SnapshotBuildError(Exception):
    """The snapshot cannot be built as asked (the reason is safe to show)."""


class CanaryInSnapshot(SnapshotBuildError):
    """A redacted snapshot would have carried a privacy canary's raw value: redaction failed somewhere."""

    def __init__(self, hits: list[Hit]) -> None:
        super().__init__("A privacy canary value reached the snapshot; the build was stopped and recorded.")
        self.hits = hits


def snapshot_dir() -> Path:
    return Path(settings.QUORUM["SNAPSHOT_DIR"])


def snapshot_path(snapshot: Snapshot) -> Path:
    return snapshot_dir() / snapshot.file_name


@cache
def code_version() -> str:
    """Export format version plus the source revision when the checkout is a git repository."""
    rev = os.environ.get("QUORUM_CODE_VERSION", "")
    if not rev:
        try:
            rev = subprocess.run(
                ["git", "rev-parse", "--short=12", "HEAD"],
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            rev = ""
    return f"export-v{EXPORT_FORMAT_VERSION}+{rev or 'unknown'}"


# --- split ---------------------------------------------------------------------------------------


def split_cuts(ratios: dict[str, float]) -> tuple[int, int]:
    """Per-mille cut points (train below the first, validation below the second, test above)."""
    train = round(float(ratios.get("train", 0)) * 1000)
    validation = round(float(ratios.get("validation", 0)) * 1000)
    return train, train + validation


def split_of(external_id: str, cuts: tuple[int, int]) -> str:
    """The item's split from a hash of its external id: stable across snapshots and machines."""
    bucket = int.from_bytes(hashlib.sha256(external_id.encode("utf-8")).digest()[:8], "big") % 1000
    return "train" if bucket < cuts[0] else "validation" if bucket < cuts[1] else "test"


# --- resolution per item -------------------------------------------------------------------------


@dataclass
class Resolver:
    """Turns one item's answers into (labels, spans, agreement, confidence, resolution)."""

    kind: str
    strategy: str
    order: dict[str, int]
    weights: dict[Any, float] | None = None
    ds_ids: Any = None  # sorted item ids with a Dawid-Skene posterior
    ds_label: Any = None
    ds_conf: Any = None
    ds_pos: int = 0

    def resolve(self, it: RawItem) -> tuple[tuple[str, ...], tuple[Span, ...], float, float, str] | None:
        kind = self.kind
        override: Any = None
        source = ""
        if it.adjudication is not None:
            override, source = {"labels": it.adjudication[0], "spans": it.adjudication[1]}, "adjudicated"
        elif it.is_gold and it.reference:
            override, source = it.reference, "gold"
        answers = it.answers
        if override is not None:
            labels = tuple(override.get("labels") or ())
            spans = _spans(override.get("spans") or ())
            if answers:
                if kind == "span":
                    agree = sum(1 for a in answers if set(_spans(a[2])) == set(spans)) / len(answers)
                else:
                    agree = sum(1 for a in answers if set(a[1]) == set(labels)) / len(answers)
            else:
                agree = 1.0
            return labels, spans, round(agree, 4), 1.0, source
        if not answers:
            return None
        if kind == "span":
            res = resolution.resolve_spans([_spans(a[2]) for a in answers])
            return (), res.spans, round(res.agreement, 4), round(res.agreement, 4), self.strategy
        if kind in SINGLE_KINDS:
            if self.strategy == Strategy.DAWID_SKENE:
                return self._dawid_skene(it)
            r = resolution.resolve_single(
                [(a[0], a[1][0]) for a in answers if a[1]], weights=self.weights, order=self.order
            )
        else:
            r = resolution.resolve_multi([(a[0], a[1]) for a in answers], weights=self.weights, order=self.order)
        return r.labels, (), round(r.agreement, 4), round(r.confidence, 4), self.strategy

    def _dawid_skene(self, it: RawItem) -> tuple[tuple[str, ...], tuple[Span, ...], float, float, str] | None:
        ids = self.ds_ids
        pos = self.ds_pos
        while pos < len(ids) and ids[pos] < it.id:
            pos += 1
        self.ds_pos = pos
        if pos >= len(ids) or ids[pos] != it.id:
            return None
        label = self.ds_labels_ordered[int(self.ds_label[pos])]
        agree = sum(1 for a in it.answers if a[1] and a[1][0] == label) / len(it.answers)
        return (label,), (), round(agree, 4), round(float(self.ds_conf[pos]), 4), Strategy.DAWID_SKENE.value

    @property
    def ds_labels_ordered(self) -> list[str]:
        return sorted(self.order, key=self.order.__getitem__)


def _spans(raw: Sequence[Any]) -> tuple[Span, ...]:
    return tuple(sorted((int(s["start"]), int(s["end"]), str(s["label"])) for s in raw))


def _answers_by_item(spec: SourceSpec, qs: Any) -> Iterator[tuple[int, int, str | None]]:
    """(item id, annotator id, first label) of every human answer, by item id. PostgreSQL: one
    server-side cursor of plain columns (no ORM rows: this is a million rows a snapshot)."""
    if not _postgres():
        for item_id, annotator_id, answer in (
            qs.order_by("item_id").values_list("item_id", "annotator_id", "labels").iterator(chunk_size=10000)
        ):
            yield item_id, annotator_id, (answer[0] if answer else None)
        return
    from .sources import answer_rows

    for batch in prefetched(answer_rows(spec)):
        yield from batch


def _fit_dawid_skene(spec: SourceSpec, resolver: Resolver) -> None:
    """First pass: every single-label answer as three integer arrays, then EM (numpy)."""
    import numpy as np

    from annotation.models import Annotation

    qs = spec.human_answers(Annotation.objects.filter(item__project_id=spec.project_id))
    # Typed arrays, 8 bytes an answer: a million items with three answers each is ~50 MB less
    # than Python lists would take.
    item_ids = array("q")
    items = array("q")
    workers = array("q")
    labels = array("q")
    worker_index: dict[Any, int] = {}
    order = resolver.order
    for item_id, annotator_id, first in _answers_by_item(spec, qs):
        if first is None or first not in order:
            continue
        if not item_ids or item_ids[-1] != item_id:
            item_ids.append(item_id)
        items.append(len(item_ids) - 1)
        workers.append(worker_index.setdefault(annotator_id, len(worker_index)))
        labels.append(order[first])
    result = resolution.dawid_skene(
        items, workers, labels, n_items=len(item_ids), n_workers=max(1, len(worker_index)), n_classes=len(order)
    )
    resolver.ds_ids = np.asarray(item_ids, dtype=np.int64)
    resolver.ds_label = result.posterior.argmax(axis=1) if item_ids else np.zeros(0, dtype=np.int64)
    resolver.ds_conf = result.posterior.max(axis=1) if item_ids else np.zeros(0)


# --- the build -----------------------------------------------------------------------------------


class HashingSink:
    """A write-only binary stream that hashes what passes through; ``close`` is the caller's."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh, self.digest, self.size = fh, hashlib.sha256(), 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.fh.write(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.fh.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def close(self) -> None:
        pass


@dataclass
class Built:
    sha256: str
    file_name: str
    size_bytes: int
    row_count: int
    counts: dict[str, Any]


@dataclass(frozen=True)
class RowFilters:
    label: str | None = None
    min_agreement: float | None = None

    @property
    def active(self) -> bool:
        return self.label is not None or self.min_agreement is not None

    def keep(self, row: ExportRow) -> bool:
        if self.label is not None and self.label not in row.labels and all(s[2] != self.label for s in row.spans):
            return False
        return self.min_agreement is None or row.agreement >= self.min_agreement


def source_spec(snapshot: Snapshot) -> SourceSpec:
    f = snapshot.filters or {}

    def when(key: str) -> datetime | None:
        value = f.get(key)
        return parse_datetime(value) if isinstance(value, str) else None

    return SourceSpec(
        project_id=snapshot.project_id,
        level=snapshot.level,
        forbidden_jurisdictions=tuple(f.get("exclude_jurisdictions") or ()),
        vendor_id=f.get("vendor"),
        annotated_after=when("annotated_after"),
        annotated_before=when("annotated_before"),
    )


def resolved_rows(
    spec: SourceSpec,
    *,
    kind: str,
    labels: Sequence[str],
    strategy: str,
    cuts: tuple[int, int],
    exclusions: Exclusions,
    text_for: Callable[[list[RawItem]], list[str]] | None = None,
    fast_path: bool = True,
) -> Iterator[list[ExportRow]]:
    """Batches of resolved rows in item-id order (items with no answer and no override are counted
    as ``unlabeled`` in ``exclusions.extra``). On PostgreSQL a single-label majority vote is
    counted by the database (``pg_majority_rows``); ``fast_path=False`` forces the general path,
    which gives the same rows (a test holds the two together)."""
    order = {v: i for i, v in enumerate(labels)}
    resolver = Resolver(kind=kind, strategy=strategy, order=order)
    if strategy == Strategy.WEIGHTED:
        stats = gold_stats(spec, kind=kind)
        weights = resolution.annotator_weights(stats, n_classes=len(labels))
        default = resolution.default_weight(n_classes=len(labels))
        resolver.weights = _DefaultDict(weights, default)
    elif strategy == Strategy.DAWID_SKENE:
        if kind not in SINGLE_KINDS:
            raise SnapshotBuildError("Dawid-Skene resolution is for single-label projects.")
        _fit_dawid_skene(spec, resolver)
    unlabeled = 0
    db_votes = _postgres() and kind in SINGLE_KINDS
    if fast_path and FAST_PATH and db_votes and text_for is None:
        cut_train, cut_validation = cuts
        plurality = resolution.plurality
        vote_weights = resolver.weights
        ds = strategy == Strategy.DAWID_SKENE
        ds_pos, ds_n, ds_names = 0, len(resolver.ds_ids) if ds else 0, resolver.ds_labels_ordered
        for vote_batch in prefetched(pg_majority_rows(spec, voters=vote_weights is not None)):
            fast: list[ExportRow] = []
            for item_id, external_id, text, gold, adjudicated, votes, voters, bucket in vote_batch:
                n_votes = len(votes) if votes else 0
                override = adjudicated if adjudicated is not None else gold
                if override is not None:
                    agreement = round(votes.count(override) / n_votes, 4) if n_votes else 1.0
                    how, label, confidence = ("adjudicated" if adjudicated is not None else "gold"), override, 1.0
                elif not n_votes:
                    unlabeled += 1
                    continue
                elif ds:  # the posterior decides, even against a unanimous vote (known flippers)
                    while ds_pos < ds_n and resolver.ds_ids[ds_pos] < item_id:
                        ds_pos += 1
                    if ds_pos >= ds_n or resolver.ds_ids[ds_pos] != item_id:
                        unlabeled += 1
                        continue
                    label = ds_names[int(resolver.ds_label[ds_pos])]
                    agreement = round(votes.count(label) / n_votes, 4)
                    confidence, how = round(float(resolver.ds_conf[ds_pos]), 4), strategy
                elif n_votes == 1 or votes.count(votes[0]) == n_votes:  # unanimous: nothing to count
                    label, agreement, confidence, how = votes[0], 1.0, 1.0, strategy
                elif vote_weights is None:
                    label, n = plurality(votes, order)
                    agreement = confidence = round(n / n_votes, 4)
                    how = strategy
                else:
                    r = resolution.resolve_single(
                        list(zip(voters, votes, strict=True)), weights=vote_weights, order=order
                    )
                    label, agreement, confidence, how = (
                        r.labels[0],
                        round(r.agreement, 4),
                        round(r.confidence, 4),
                        strategy,
                    )
                fast.append(
                    ExportRow(
                        item_id,
                        external_id,
                        text,
                        (label,),
                        (),
                        agreement,
                        confidence,
                        n_votes,
                        how,
                        "train" if bucket < cut_train else "validation" if bucket < cut_validation else "test",
                    )
                )
            yield fast
        exclusions.extra["unlabeled"] = unlabeled
        return
    source = prefetched(pg_rows(spec)) if _postgres() else orm_rows(spec, exclusions)
    for batch in source:
        texts = text_for(batch) if text_for is not None else None
        out: list[ExportRow] = []
        for n, it in enumerate(batch):
            res = resolver.resolve(it)
            if res is None:
                unlabeled += 1
                continue
            out.append(
                ExportRow(
                    it.id,
                    it.external_id,
                    texts[n] if texts is not None else it.text,
                    res[0],
                    res[1],
                    res[2],
                    res[3],
                    len(it.answers),
                    res[4],
                    split_of(it.external_id, cuts),
                )
            )
        yield out
    exclusions.extra["unlabeled"] = unlabeled


class _DefaultDict(dict[Any, float]):
    def __init__(self, data: dict[Any, float], default: float) -> None:
        super().__init__(data)
        self.default = default

    def get(self, key: Any, default: Any = None) -> float:
        return super().get(key, self.default)


def _raw_texts(batch: list[RawItem]) -> list[str]:
    from privacy.content import open_item_text

    items = Item.objects.in_bulk([it.id for it in batch])
    return [str(open_item_text(items[it.id])) for it in batch]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_snapshot(snapshot: Snapshot) -> Built:
    """Write the snapshot's file and lineage; returns what the row should record. The row itself is
    not changed here (the caller marks it ready after this returns)."""
    project = snapshot.project
    labels = [str(label["value"]) for label in project.label_schema.get("labels", [])]
    ctx = ExportContext(kind=project.kind, labels=tuple(labels), instruction=project.instruction)
    spec = source_spec(snapshot)
    if snapshot.level == TextLevel.STANDARD:
        from .sources import standard_level_available

        if not standard_level_available():
            raise SnapshotBuildError("Pseudonymized text is not available yet.")
    cuts = split_cuts(snapshot.split or DEFAULT_SPLIT)
    f = snapshot.filters or {}
    row_filter = RowFilters(label=f.get("label"), min_agreement=f.get("min_agreement"))
    root = snapshot_dir()
    tmp_dir = root / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    part = tmp_dir / f"{snapshot.pk}-{uuid.uuid4().hex}.part"
    work = Path(tempfile.mkdtemp(dir=tmp_dir, prefix=f"{snapshot.pk}-work-"))
    splits = {"train": 0, "validation": 0, "test": 0}
    filtered = rows = 0
    run_start = run_end = -1
    pending_ranges: list[SnapshotRange] = []
    # A redacted snapshot must never hold a canary's raw value (a raw one holds them by design).
    watch_canaries = snapshot.level != TextLevel.RAW
    try:
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if _postgres():
                if outermost:  # inside a caller's transaction, that transaction's isolation holds
                    with connection.cursor() as cur:
                        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                exclusions = pg_exclusions(spec)
            else:
                exclusions = Exclusions()
            with open(part, "wb", buffering=1 << 20) as fh:
                sink = HashingSink(fh)
                writer = open_writer(snapshot.format, sink, ctx, work)  # type: ignore[arg-type]
                for batch in resolved_rows(
                    spec,
                    kind=project.kind,
                    labels=labels,
                    strategy=snapshot.strategy,
                    cuts=cuts,
                    exclusions=exclusions,
                    text_for=_raw_texts if snapshot.level == TextLevel.RAW else None,
                ):
                    kept = [r for r in batch if row_filter.keep(r)] if row_filter.active else batch
                    filtered += len(batch) - len(kept)
                    if not kept:
                        continue
                    if watch_canaries and (hits := tripwire.scan("\n".join(r.text for r in kept))):
                        raise CanaryInSnapshot(hits)
                    writer.write_rows(kept)
                    rows += len(kept)
                    for r in kept:
                        splits[r.split] += 1
                        # Lineage as runs of consecutive item ids (rows come in id order).
                        if r.item_id == run_end + 1:
                            run_end = r.item_id
                        else:
                            if run_start >= 0:
                                pending_ranges.append(
                                    SnapshotRange(snapshot_id=snapshot.pk, first_id=run_start, last_id=run_end)
                                )
                            run_start = run_end = r.item_id
                    if len(pending_ranges) >= 5000:
                        SnapshotRange.objects.bulk_create(pending_ranges)
                        pending_ranges = []
                writer.close()
                fh.flush()
                os.fsync(fh.fileno())
            if run_start >= 0:
                pending_ranges.append(SnapshotRange(snapshot_id=snapshot.pk, first_id=run_start, last_id=run_end))
            SnapshotRange.objects.bulk_create(pending_ranges)
        sha = sink.digest.hexdigest()
        file_name = f"{sha[:2]}/{sha}.{EXTENSIONS[snapshot.format]}"
        final = root / file_name
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            part.unlink()  # the same bytes are already published (content-addressed)
        else:
            part.chmod(0o444)
            part.replace(final)
            _fsync_dir(final.parent)
        counts: dict[str, Any] = {
            "items": exclusions.items,
            "splits": splits,
            "excluded": {
                "purpose": exclusions.purpose,
                "jurisdiction": exclusions.jurisdiction,
                "erased": exclusions.erased,
                "unlabeled": exclusions.extra.get("unlabeled", 0),
                "filtered": filtered,
            },
        }
        return Built(sha, file_name, sink.size, rows, counts)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def erased_in_snapshot(snapshot_id: int) -> int:
    """Erasures of items inside the snapshot's ranges (an erasure can land while it builds)."""
    ranges = SnapshotRange.objects.filter(snapshot_id=snapshot_id)
    n = 0
    for first, last in ranges.values_list("first_id", "last_id").iterator(chunk_size=2000):
        n += Erasure.objects.filter(item_id__gte=first, item_id__lte=last).count()
    return n


def _discard_leftovers(snapshot_id: int) -> None:
    """Remove what a killed build of this snapshot left in ``tmp/`` (its ``.part`` file, its work folder)."""
    tmp_dir = snapshot_dir() / "tmp"
    if not tmp_dir.is_dir():
        return
    for path in tmp_dir.glob(f"{snapshot_id}-*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def run_build(snapshot_id: int, *, now: Callable[[], datetime] = timezone.now) -> Snapshot:
    """Build a queued (or interrupted) snapshot; a ready one is returned unchanged (idempotent).

    The build holds the snapshot's run lock (inference/runlocks.py): a second delivery of the same
    build while one runs returns at once, and a build whose worker died is told apart from a live one.
    """
    from inference.runlocks import run_lock

    snapshot = Snapshot.objects.select_related("project").get(pk=snapshot_id)
    if snapshot.status == SnapshotStatus.READY:
        return snapshot
    with run_lock("snapshot", snapshot_id) as mine:
        if not mine:  # a live worker builds it right now
            return snapshot
        snapshot.refresh_from_db()
        if snapshot.status == SnapshotStatus.READY:
            return snapshot
        _discard_leftovers(snapshot_id)
        return _build(snapshot, now)


def _build(snapshot: Snapshot, now: Callable[[], datetime]) -> Snapshot:
    snapshot_id = snapshot.pk
    Snapshot.objects.filter(pk=snapshot_id).update(status=SnapshotStatus.BUILDING, started_at=now(), error="")
    SnapshotRange.objects.filter(snapshot_id=snapshot_id).delete()  # a previous attempt's lineage
    try:
        built = write_snapshot(snapshot)
    except Exception as e:
        SnapshotRange.objects.filter(snapshot_id=snapshot_id).delete()
        Snapshot.objects.filter(pk=snapshot_id).update(
            status=SnapshotStatus.FAILED, error=str(e)[:2000], finished_at=now()
        )
        if isinstance(e, CanaryInSnapshot):  # recorded here, outside the build's rolled-back transaction
            for hit in e.hits:
                alert(hit, channel="export", where=f"snapshot {snapshot_id}", user_id=snapshot.created_by_id)
        raise
    erased = erased_in_snapshot(snapshot_id)
    Snapshot.objects.filter(pk=snapshot_id).update(
        status=SnapshotStatus.READY,
        sha256=built.sha256,
        file_name=built.file_name,
        size_bytes=built.size_bytes,
        row_count=built.row_count,
        counts=built.counts,
        code_version=code_version(),
        finished_at=now(),
        erased_items=erased,
        erased_at=now() if erased else None,
    )
    snapshot.refresh_from_db()
    return snapshot
