"""Run an import job: parse → validate → redact → store → pre-label.

All-or-nothing: rows are staged first; items are written in one transaction only when the whole
file validated. Re-running a job (after a crash) starts it over from a clean stage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from privacy.content import seal_texts
from privacy.redaction import Redactor, project_redactor

from .. import media
from ..models import ImportJob, ImportStatus, Project
from ..schema import LabelSet, SchemaError, parse_schema
from . import store
from .parsers import ParseError, iter_records
from .records import Row, build_row

log = logging.getLogger(__name__)

# Called with the job after its items are committed (e.g. to queue pre-labeling). Later stages
# register here rather than this module importing them.
POST_STORE_HOOKS: list[Callable[[ImportJob], None]] = []


@dataclass
class ErrorLog:
    limit: int
    count: int = 0
    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, line: int | None, field_name: str | None, message: str) -> None:
        self.count += 1
        if len(self.entries) < self.limit:
            entry: dict[str, Any] = {"line": line, "message": _storable(message)}
            if field_name:
                entry["field"] = _storable(field_name)
            self.entries.append(entry)


def _storable(text: str) -> str:
    """An error quotes the input: NUL and lone surrogates, which jsonb refuses, become escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


class Validator:
    """The validate stage: record → Row, resolving vendor names within the organization."""

    def __init__(self, project: Project, labelset: LabelSet) -> None:
        self.labelset = labelset
        self.vendors = {v.name: v.pk for v in project.organization.vendors.all()}

    def __call__(self, record: dict[str, Any], line: int) -> tuple[Row, int | None]:
        row = build_row(record, line, self.labelset)
        vendor_id = None
        if row.pinned_vendor:
            vendor_id = self.vendors.get(row.pinned_vendor)
            if vendor_id is None:
                raise SchemaError("pinned_vendor", f"unknown vendor {row.pinned_vendor!r}")
        return row, vendor_id


# A running job whose heartbeat is older than this is taken to have lost its worker.
STALE_AFTER = timedelta(minutes=5)


def claim_job(job_id: int) -> bool:
    """Atomically take a job to run: queued, or running with a dead worker. False if not ours."""
    now = timezone.now()
    stale = Q(status=ImportStatus.RUNNING) & (
        Q(heartbeat_at__lt=now - STALE_AFTER) | Q(heartbeat_at__isnull=True)
    )
    taken = ImportJob.objects.filter(Q(pk=job_id) & (Q(status=ImportStatus.QUEUED) | stale)).update(
        status=ImportStatus.RUNNING, heartbeat_at=now, started_at=now, attempts=F("attempts") + 1
    )
    return taken == 1


def recoverable_jobs() -> list[int]:
    """Jobs to re-queue when a worker starts: never started, or started by a worker that died."""
    now = timezone.now()
    return list(
        ImportJob.objects.filter(
            (Q(status=ImportStatus.QUEUED) & Q(created_at__lt=now - STALE_AFTER))
            | (Q(status=ImportStatus.RUNNING) & Q(heartbeat_at__lt=now - STALE_AFTER))
        ).values_list("pk", flat=True)
    )


def run_import(job_id: int) -> ImportJob:
    """Run (or resume after a crash) one import job to completion. Idempotent."""
    if not claim_job(job_id):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("project", "project__organization").get(pk=job_id)
    project = job.project
    _progress(job, stage="parse", rows_seen=0)
    errors = ErrorLog(limit=settings.QUORUM["IMPORT_MAX_ERRORS"])
    images = media.staging_dir(job.pk)
    media.discard(images)  # a crashed attempt's leftovers
    try:
        labelset = parse_schema(project.kind, project.label_schema)
        _stage_file(job, project, labelset, errors, images)
        _progress(job, stage="validate")
        for ext, lines in store.duplicate_ids(job.pk, errors.limit):
            joined = ", ".join(str(n) for n in lines)
            errors.add(lines[-1], "external_id", f"duplicate id {ext!r} (lines {joined})")
        if errors.count:
            return _fail(job, errors)
        _progress(job, stage="store")
        media.publish(images)  # before the items that name them commit
        with transaction.atomic():
            created, updated, skipped = store.merge_stage(job.pk, project.pk)
            job.created_count, job.updated_count, job.skipped_count = created, updated, skipped
            job.status = ImportStatus.SUCCEEDED
            job.stage = "done"
            job.finished_at = timezone.now()
            job.errors = []
            job.error_count = 0
            job.save()
            transaction.on_commit(lambda: _after_store(job))
    except OSError as e:
        errors.add(None, None, f"cannot read the file: {e.strerror or e}")
        return _fail(job, errors)
    except Exception:
        log.exception("import %s failed", job.pk)
        errors.add(None, None, "internal error while importing; nothing was stored")
        return _fail(job, errors)
    finally:
        store.drop_stage(job.pk)
        media.discard(images)  # a failed import stores no image
        _cleanup(job)
    return job


def _stage_file(job: ImportJob, project: Project, labelset: LabelSet, errors: ErrorLog, images: Path) -> None:
    """Parse, validate and redact every record and stage the valid ones (even after an error, so
    that duplicate ids are found too); nothing reaches items from here."""
    validate = Validator(project, labelset)
    redactor = project_redactor(project.pk)
    batch_rows = settings.QUORUM["IMPORT_BATCH_ROWS"]
    batch: list[tuple[Row, int | None]] = []
    seen = 0
    with open(job.file_path, "rb") as fh, store.StageWriter(job.pk) as writer:
        for line, record in iter_records(fh, job.format):
            seen += 1
            if isinstance(record, ParseError):
                errors.add(line, None, record.message)
                if record.fatal:
                    break
                continue
            try:
                row, vendor_id = validate(record, line)
                if row.media:  # an image is processed (metadata, faces) before anything is stored
                    row.media = media.ingest(row.media, staging=images)
            except SchemaError as e:
                errors.add(line, e.field, e.message)
                continue
            batch.append((row, vendor_id))
            if len(batch) >= batch_rows:
                writer.write(_redact(redactor, project.pk, batch))
                batch = []
                _progress(job, rows_seen=seen)
        writer.write(_redact(redactor, project.pk, batch))
    if seen == 0 and not errors.count:
        errors.add(None, None, "the file holds no records")
    _progress(job, rows_seen=seen)


def _redact(redactor: Redactor, project_id: int, batch: list[tuple[Row, int | None]]) -> list[tuple[Row, int | None]]:
    """The redact stage, a batch at a time (pseudonym numbers are resolved per batch): stored views
    computed, raw text sealed and dropped from the row before anything is written or queued."""
    texts = [row.text for row, _ in batch]
    views = redactor.views(texts)
    sealed = seal_texts(texts, project_id=project_id, external_ids=[row.external_id for row, _ in batch])
    for (row, _), view, blob in zip(batch, views, sealed, strict=True):
        row.text_redacted, row.text_pseudonymized = view
        row.text_sealed = blob
        row.text = ""
    return batch


def _progress(job: ImportJob, **fields: Any) -> None:
    fields["heartbeat_at"] = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def _fail(job: ImportJob, errors: ErrorLog) -> ImportJob:
    _progress(
        job,
        status=ImportStatus.FAILED,
        stage="done",
        errors=sorted(errors.entries, key=lambda e: e["line"] or 0),
        error_count=errors.count,
        created_count=0,
        updated_count=0,
        skipped_count=0,
        finished_at=timezone.now(),
    )
    return job


def _cleanup(job: ImportJob) -> None:
    """Uploaded files are scratch: remove them once the job is final. User-given paths stay."""
    upload_dir = Path(settings.QUORUM["IMPORT_UPLOAD_DIR"]).resolve()
    path = Path(job.file_path).resolve()
    if job.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED) and upload_dir in path.parents:
        path.unlink(missing_ok=True)


def _after_store(job: ImportJob) -> None:
    for hook in POST_STORE_HOOKS:
        try:
            hook(job)
        except Exception:  # a pre-label failure must not undo an import
            log.exception("post-store hook %r failed for import %s", hook, job.pk)
