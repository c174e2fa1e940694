"""``manage.py export_snapshot --project ID``: build a snapshot here (no worker) and copy it out."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.models import Project
from training_export.build import run_build, snapshot_path
from training_export.models import ExportFormat, SnapshotStatus, Strategy, TextLevel
from training_export.services import snapshot_create
from workforce.access import AccessDenied, actor_for, internal_user


class Command(BaseCommand):
    help = "Build an export snapshot of a project and print its sha256 (optionally copy it to --out)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", type=int, required=True)
        parser.add_argument("--format", choices=ExportFormat.values, default=ExportFormat.JSONL)
        parser.add_argument("--level", choices=TextLevel.values, default=TextLevel.RESTRICTED)
        parser.add_argument("--strategy", choices=Strategy.values, default=Strategy.MAJORITY)
        parser.add_argument("--out", type=Path, help="copy the snapshot file here")
        parser.add_argument("--user", help="acting user (default: the organization's first admin); audited")
        parser.add_argument("--reason", default="", help="why raw text is needed (level raw)")

    def handle(self, *args: Any, **opts: Any) -> None:
        project = Project.objects.filter(pk=opts["project"]).first()
        if project is None:
            raise CommandError(f"no project {opts['project']}")
        user = internal_user(organization_id=project.organization_id, username=opts["user"])
        if user is None:
            raise CommandError("no acting user: pass --user USERNAME (an internal ML engineer or admin)")
        try:
            snapshot = snapshot_create(
                actor=actor_for(user),
                project=project,
                fmt=opts["format"],
                strategy=opts["strategy"],
                level=opts["level"],
                reason=opts["reason"],
                enqueue=False,
            )
        except AccessDenied as e:
            raise CommandError(str(e)) from e
        snapshot = run_build(snapshot.pk)
        if snapshot.status != SnapshotStatus.READY:
            raise CommandError(f"snapshot {snapshot.pk} failed: {snapshot.error}")
        if opts["out"]:
            shutil.copyfile(snapshot_path(snapshot), opts["out"])
        self.stdout.write(
            f"snapshot {snapshot.pk}: {snapshot.row_count} rows, sha256 {snapshot.sha256}, {snapshot_path(snapshot)}"
        )
