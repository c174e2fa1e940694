"""manage.py import_items PROJECT FILE: import a JSONL, JSON-array or CSV file into a project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.importing.pipeline import run_import
from annotation.models import ImportStatus, Project
from annotation.services import import_create
from workforce.access import AccessDenied, actor_for, internal_user
from workforce.models import Role


class Command(BaseCommand):
    help = "Import items into a project (by id or slug). Runs here unless --queue is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="project id or slug")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["jsonl", "json", "csv"])
        parser.add_argument("--as-user", help="username to import as (default: first ML engineer or admin)")
        parser.add_argument("--queue", action="store_true", help="hand the job to the worker and return")

    def handle(self, *args: Any, **opts: Any) -> None:
        ref: str = opts["project"]
        project = Project.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
        project = project or Project.objects.filter(slug=ref).first()
        if project is None:
            raise CommandError(f"no project {ref!r}")
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        user = internal_user(
            organization_id=project.organization_id, username=opts["as_user"], roles=(Role.ML_ENGINEER, Role.ADMIN)
        )
        if user is None:
            raise CommandError("no internal ML engineer or admin to import as (use --as-user)")
        try:
            job = import_create(
                actor=actor_for(user),
                project=project,
                filename=path.name,
                path=path,
                fmt=opts["format"],
                enqueue=opts["queue"],
            )
        except (AccessDenied, ValueError) as e:
            raise CommandError(str(e)) from e
        if opts["queue"]:
            self.stdout.write(f"import {job.pk} queued")
            return
        job = run_import(job.pk)
        if job.status != ImportStatus.SUCCEEDED:
            for err in job.errors:
                where = f"{path}:{err['line']}" if err.get("line") else str(path)
                field = f" [{err['field']}]" if err.get("field") else ""
                self.stderr.write(f"{where}:{field} {err['message']}")
            raise CommandError(f"import {job.pk} failed with {job.error_count} error(s); nothing was stored")
        self.stdout.write(
            f"import {job.pk}: {job.rows_seen} rows, {job.created_count} created, "
            f"{job.updated_count} updated, {job.skipped_count} unchanged"
        )
