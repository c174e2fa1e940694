"""Writes for annotation: projects, routing, imports. Keyword-only, one transaction each."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role, Vendor

from .events import publish_project_event
from .importing.parsers import FORMATS, detect_format
from .models import ImportJob, Project, ProjectVendor
from .queueing.services import (  # the queue's writes, here beside the rest of the app's
    annotation_submit,
    annotation_undo,
    lease_claim,
    lease_heartbeat,
    lease_skip,
    leases_release_for_user,
    publish_counts,
)
from .tasks import import_items

log = logging.getLogger(__name__)

__all__ = [
    "annotation_submit", "annotation_undo", "check_import", "check_project_admin", "import_create",
    "lease_claim", "lease_heartbeat", "lease_skip", "leases_release_for_user", "project_create",
    "project_pause", "project_route", "project_update",
]

PROJECT_FIELDS = ("guidelines", "instruction", "overlap", "priority", "gold_rate", "lease_seconds", "paused")


def check_project_admin(actor: Actor) -> None:
    require_role(actor, Role.ADMIN)
    if not actor.is_internal:
        raise AccessDenied("Only internal staff manage projects.")


@transaction.atomic
def project_create(
    *,
    actor: Actor,
    name: str,
    kind: str,
    label_schema: dict[str, Any],
    slug: str = "",
    vendors: list[Vendor] | None = None,
    **fields: Any,
) -> Project:
    check_project_admin(actor)
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    project = Project(
        organization_id=actor.organization_id,
        name=name,
        slug=slug or slugify(name)[:80],
        kind=kind,
        label_schema=label_schema,
        **fields,
    )
    project.full_clean()
    project.save()
    for vendor in vendors or []:
        project_route(actor=actor, project=project, vendor=vendor)
    return project


@transaction.atomic
def project_update(*, actor: Actor, project: Project, **fields: Any) -> Project:
    check_project_admin(actor)
    unknown = set(fields) - set(PROJECT_FIELDS) - {"name", "label_schema"}
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    for key, value in fields.items():
        setattr(project, key, value)
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def project_pause(*, actor: Actor, project: Project, paused: bool) -> Project:
    """Stop (or resume) handing out the project's items; leases already held run on."""
    check_project_admin(actor)
    if project.organization_id != actor.organization_id:
        raise AccessDenied("No such project.")
    project.paused = paused
    project.save(update_fields=["paused", "updated_at"])
    publish_project_event(project.pk, {"type": "project.paused", "project": project.pk, "paused": paused})
    publish_counts(project_id=project.pk, overlap=project.overlap)
    return project


@transaction.atomic
def project_route(
    *, actor: Actor, project: Project, vendor: Vendor, share: int = 100, priority: int = 0, active: bool = True
) -> ProjectVendor:
    check_project_admin(actor)
    if vendor.organization_id != project.organization_id:
        raise AccessDenied("That vendor belongs to another organization.")
    route, _ = ProjectVendor.objects.update_or_create(
        project=project, vendor=vendor, defaults={"share": share, "priority": priority, "active": active}
    )
    return route


def check_import(actor: Actor, project: Project) -> None:
    require_role(actor, Role.ML_ENGINEER)
    if not actor.is_internal or project.organization_id != actor.organization_id:
        raise AccessDenied("Only internal staff of this organization import items.")


def _save_upload(upload: IO[bytes], fmt: str) -> Path:
    """Copy an upload to the import folder, streamed; refused (nothing kept) past IMPORT_MAX_BYTES."""
    limit = settings.QUORUM["IMPORT_MAX_BYTES"]
    too_big = f"the file is larger than {limit:,} bytes, the most an upload may be (split it, or import it by path)"
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        raise ValueError(too_big)
    folder = Path(settings.QUORUM["IMPORT_UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}.{fmt}"
    written = 0
    try:
        with open(target, "wb") as out:
            while chunk := upload.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    raise ValueError(too_big)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def import_create(
    *,
    actor: Actor,
    project: Project,
    filename: str,
    upload: IO[bytes] | None = None,
    path: Path | None = None,
    fmt: str | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """Register an import. An upload is copied to the import folder (streamed, never in memory);
    a local ``path`` is read in place. The job runs on the worker unless ``enqueue`` is False."""
    check_import(actor, project)
    fmt = fmt or detect_format(filename)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if (upload is None) == (path is None):
        raise ValueError("give exactly one of upload or path")
    if upload is not None:
        file_path = str(_save_upload(upload, fmt))
    else:
        assert path is not None
        file_path = str(path.resolve())
    with transaction.atomic():
        job = ImportJob.objects.create(
            project=project,
            created_by=actor.user,
            format=fmt,
            source_name=Path(filename).name[:255],
            file_path=file_path,
        )
        if enqueue:
            transaction.on_commit(lambda: _send_import(job.pk))
    return job


def _send_import(job_id: int) -> None:
    """The job is saved: a broker that is down is logged, not raised into the request (a 500 for a
    recorded import); ``recover_imports`` sends queued jobs that got no message."""
    try:
        import_items.delay(job_id)
    except Exception:
        log.warning("broker unavailable: import %s stays queued until recover_imports sends it", job_id,
                    exc_info=True)
