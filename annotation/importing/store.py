"""Store stage: stream validated rows into a per-job staging table, then merge into items at once.

Staging is a table of its own per job (``annotation_importrow_<job>``, shaped like ImportRow and
unlogged on PostgreSQL), so dropping it is O(1) and concurrent imports never scan each other's rows.
A ``StageWriter`` COPYs batches from a background thread while the caller parses the next ones:
on two cores, parsing and PostgreSQL's work overlap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import orjson
from django.db import connection, connections
from django.utils import timezone

from privacy.redaction import REDACTION_VERSION

from .records import Row

STAGE_COLUMNS = (
    "line", "external_id", "text_sealed", "text_redacted", "text_pseudonymized", "media", "metadata", "source_system",
    "jurisdiction", "allowed_purposes", "content_hash", "priority", "is_gold", "reference",
    "pinned_vendor_id", "internal_only",
)
_COLS = ", ".join(STAGE_COLUMNS)
# Columns copied from staging into items, beside project, state and bookkeeping.
_ITEM_COLS = STAGE_COLUMNS[1:]
_UPDATE_COLS = (*(c for c in _ITEM_COLS if c != "external_id"), "redaction_version", "import_job_id", "updated_at")

Batch = Sequence[tuple[Row, int | None]]


def stage_table(job_id: int) -> str:
    return f"annotation_importrow_{int(job_id)}"


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _values(row: Row, vendor_id: int | None) -> tuple[Any, ...]:
    return (
        row.line, row.external_id, row.text_sealed, row.text_redacted, row.text_pseudonymized, row.media,
        _json(row.metadata),
        row.source_system, row.jurisdiction, _json(row.allowed_purposes), row.content_hash,
        row.priority, row.is_gold, _json(row.reference), vendor_id, row.internal_only,
    )


def create_stage(job_id: int) -> None:
    table = stage_table(job_id)
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        # The shape (names and types) comes from the ImportRow model's table.
        if connection.vendor == "postgresql":
            cur.execute(f"CREATE UNLOGGED TABLE {table} AS SELECT {_COLS} FROM annotation_importrow WITH NO DATA")
        else:
            cur.execute(f"CREATE TABLE {table} AS SELECT {_COLS} FROM annotation_importrow WHERE 0")


def drop_stage(job_id: int) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {stage_table(job_id)}")


def _write(cur: Any, vendor: str, table: str, rows: Batch) -> None:
    if vendor == "postgresql":
        with cur.cursor.copy(f"COPY {table} ({_COLS}) FROM STDIN") as copy:
            for row, vendor_id in rows:
                copy.write_row(_values(row, vendor_id))
    else:
        marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
        cur.executemany(
            f"INSERT INTO {table} ({_COLS}) VALUES ({marks})",
            [_values(row, vendor_id) for row, vendor_id in rows],
        )


class StageWriter:
    """Appends batches to the job's staging table. On PostgreSQL a thread with its own connection
    does the COPY so that parsing continues meanwhile; elsewhere it writes inline."""

    _DONE = object()

    def __init__(self, job_id: int) -> None:
        self.table = stage_table(job_id)
        self.threaded = connection.vendor == "postgresql"
        self.error: BaseException | None = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)  # bounded: constant memory
        self._thread: threading.Thread | None = None
        if self.threaded:
            # The thread's own connection creates the table, so it exists for it even when the
            # caller is inside an uncommitted transaction.
            ready = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(job_id, ready), name=f"stage-{job_id}", daemon=True
            )
            self._thread.start()
            ready.wait()
            if self.error is not None:
                self.close()
        else:
            create_stage(job_id)

    def _run(self, job_id: int, ready: threading.Event) -> None:
        try:
            try:
                create_stage(job_id)
            except BaseException as e:
                self.error = e
            ready.set()
            while (batch := self._queue.get()) is not self._DONE:
                if self.error is None:
                    try:
                        with connection.cursor() as cur:
                            _write(cur, connection.vendor, self.table, batch)
                    except BaseException as e:  # re-raised in the caller's thread by close()
                        self.error = e
        finally:
            connections.close_all()

    def write(self, batch: Batch) -> None:
        if not batch:
            return
        if self.error is not None:
            raise self.error
        if self._thread is None:
            with connection.cursor() as cur:
                _write(cur, connection.vendor, self.table, batch)
        else:
            self._queue.put(list(batch))

    def close(self) -> None:
        """Wait for every batch to land; raise the writer's error, if any."""
        if self._thread is not None:
            self._queue.put(self._DONE)
            self._thread.join()
            self._thread = None
        if self.error is not None:
            raise self.error

    def __enter__(self) -> StageWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None and self._thread is not None:
            self.error = self.error or exc
        self.close()


def duplicate_ids(job_id: int, limit: int) -> list[tuple[str, list[int]]]:
    """External ids that appear more than once in the file, with the lines they are on."""
    table = stage_table(job_id)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT external_id, MIN(line), MAX(line), COUNT(*) FROM {table} "
            "GROUP BY external_id HAVING COUNT(*) > 1 ORDER BY MIN(line) LIMIT %s",
            [limit],
        )
        dups = cur.fetchall()
        out: list[tuple[str, list[int]]] = []
        for ext, first, last, count in dups:
            if count == 2:
                out.append((ext, [first, last]))
            else:
                cur.execute(f"SELECT line FROM {table} WHERE external_id = %s ORDER BY line", [ext])
                out.append((ext, [r[0] for r in cur.fetchall()]))
        return out


def merge_stage(job_id: int, project_id: int) -> tuple[int, int, int]:
    """Upsert staged rows into items; returns (created, updated, skipped). Call inside a transaction."""
    now = timezone.now()
    table = stage_table(job_id)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*), "
            "COALESCE(SUM(CASE WHEN i.id IS NULL THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN i.id IS NOT NULL AND i.content_hash <> s.content_hash "
            "THEN 1 ELSE 0 END), 0) "
            f"FROM {table} s LEFT JOIN annotation_item i "
            "ON i.project_id = %s AND i.external_id = s.external_id",
            [project_id],
        )
        total, created, updated = cur.fetchone()
        item_cols = ", ".join(_ITEM_COLS)
        src_cols = ", ".join(f"s.{c}" for c in _ITEM_COLS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _UPDATE_COLS)
        cur.execute(
            f"INSERT INTO annotation_item (project_id, {item_cols}, state, redaction_version, "
            "annotation_count, import_job_id, created_at, updated_at) "
            f"SELECT %s, {src_cols}, 'open', %s, 0, %s, %s, %s FROM {table} s WHERE true "
            f"ON CONFLICT (project_id, external_id) DO UPDATE SET {updates} "
            "WHERE annotation_item.content_hash <> excluded.content_hash",
            [project_id, REDACTION_VERSION, job_id, now, now],
        )
    return int(created), int(updated), int(total) - int(created) - int(updated)
