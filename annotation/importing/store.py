"""Store stage: stream validated rows into staging, then merge into items in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from django.db import connection
from django.utils import timezone

from .records import Row

STAGE_COLUMNS = (
    "job_id", "line", "external_id", "text", "text_redacted", "media", "metadata",
    "source_system", "jurisdiction", "allowed_purposes", "content_hash", "priority", "is_gold",
    "reference", "pinned_vendor_id", "internal_only",
)
_COLS = ", ".join(STAGE_COLUMNS)
# Columns copied from staging into items, beside project, state and bookkeeping.
_ITEM_COLS = (
    "external_id", "text", "text_redacted", "media", "metadata", "source_system", "jurisdiction",
    "allowed_purposes", "content_hash", "priority", "is_gold", "reference", "pinned_vendor_id",
    "internal_only",
)
_UPDATE_COLS = tuple(c for c in _ITEM_COLS if c != "external_id") + ("import_job_id", "updated_at")


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _values(job_id: int, row: Row, vendor_id: int | None) -> tuple[Any, ...]:
    return (
        job_id, row.line, row.external_id, row.text, row.text_redacted, row.media,
        _json(row.metadata), row.source_system, row.jurisdiction, _json(row.allowed_purposes),
        row.content_hash, row.priority, row.is_gold, _json(row.reference), vendor_id,
        row.internal_only,
    )


def stage_rows(job_id: int, rows: Sequence[tuple[Row, int | None]]) -> None:
    """Append a batch to staging (autocommit: progress is visible, items are untouched)."""
    if not rows:
        return
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY annotation_importrow ({_COLS}) FROM STDIN") as copy:
                for row, vendor_id in rows:
                    copy.write_row(_values(job_id, row, vendor_id))
        else:
            marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
            cur.executemany(
                f"INSERT INTO annotation_importrow ({_COLS}) VALUES ({marks})",
                [_values(job_id, row, vendor_id) for row, vendor_id in rows],
            )


def clear_stage(job_id: int) -> None:
    with connection.cursor() as cur:
        cur.execute("DELETE FROM annotation_importrow WHERE job_id = %s", [job_id])


def duplicate_ids(job_id: int, limit: int) -> list[tuple[str, list[int]]]:
    """External ids that appear more than once in the file, with the lines they are on."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT external_id, MIN(line), MAX(line), COUNT(*) FROM annotation_importrow "
            "WHERE job_id = %s GROUP BY external_id HAVING COUNT(*) > 1 ORDER BY MIN(line) LIMIT %s",
            [job_id, limit],
        )
        dups = cur.fetchall()
        out: list[tuple[str, list[int]]] = []
        for ext, first, last, count in dups:
            if count == 2:
                out.append((ext, [first, last]))
            else:
                cur.execute(
                    "SELECT line FROM annotation_importrow WHERE job_id = %s AND external_id = %s "
                    "ORDER BY line",
                    [job_id, ext],
                )
                out.append((ext, [r[0] for r in cur.fetchall()]))
        return out


def merge_stage(job_id: int, project_id: int) -> tuple[int, int, int]:
    """Upsert staged rows into items; returns (created, updated, skipped). Call inside a transaction."""
    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*), "
            "COALESCE(SUM(CASE WHEN i.id IS NULL THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN i.id IS NOT NULL AND i.content_hash <> s.content_hash "
            "THEN 1 ELSE 0 END), 0) "
            "FROM annotation_importrow s LEFT JOIN annotation_item i "
            "ON i.project_id = %s AND i.external_id = s.external_id WHERE s.job_id = %s",
            [project_id, job_id],
        )
        total, created, updated = cur.fetchone()  # type: ignore[misc]
        item_cols = ", ".join(_ITEM_COLS)
        src_cols = ", ".join(f"s.{c}" for c in _ITEM_COLS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _UPDATE_COLS)
        cur.execute(
            f"INSERT INTO annotation_item (project_id, {item_cols}, state, redaction_version, "
            "annotation_count, import_job_id, created_at, updated_at) "
            f"SELECT %s, {src_cols}, 'open', 1, 0, %s, %s, %s FROM annotation_importrow s "
            "WHERE s.job_id = %s "
            f"ON CONFLICT (project_id, external_id) DO UPDATE SET {updates} "
            "WHERE annotation_item.content_hash <> excluded.content_hash",
            [project_id, job_id, now, now, job_id],
        )
        cur.execute("DELETE FROM annotation_importrow WHERE job_id = %s", [job_id])
    return int(created), int(updated), int(total) - int(created) - int(updated)
