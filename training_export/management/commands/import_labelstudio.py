"""``manage.py import_labelstudio --project ID FILE``: bring a Label Studio export (JSON) in.

Tasks become items (``data.text``; ``data.external_id`` or the task id), the first annotation's
choices or labeled spans become each item's reference answer; then the normal import pipeline
(validation, redaction, storage) runs, on the worker or here with ``--now``.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.models import Project
from annotation.services import import_create
from training_export.formats import FormatError
from training_export.formats.text import labelstudio_to_records
from workforce.access import AccessDenied, actor_for, internal_user


class Command(BaseCommand):
    help = "Import a Label Studio JSON export into a project (references from its annotations)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--project", type=int, required=True)
        parser.add_argument("--user", help="acting user (default: the organization's first admin)")
        parser.add_argument("--now", action="store_true", help="run the import here instead of on the worker")

    def handle(self, *args: Any, **opts: Any) -> None:
        project = Project.objects.filter(pk=opts["project"]).first()
        if project is None:
            raise CommandError(f"no project {opts['project']}")
        user = internal_user(organization_id=project.organization_id, username=opts["user"])
        if user is None:
            raise CommandError("no acting user: pass --user USERNAME")
        try:
            records = labelstudio_to_records(orjson.loads(opts["file"].read_bytes()), kind=project.kind)
        except (FormatError, orjson.JSONDecodeError) as e:
            raise CommandError(f"{opts['file']}: {e}") from e
        body = io.BytesIO(b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records))
        try:
            job = import_create(
                actor=actor_for(user),
                project=project,
                filename="labelstudio.jsonl",
                upload=body,
                enqueue=not opts["now"],
            )
        except AccessDenied as e:
            raise CommandError(str(e)) from e
        if opts["now"]:
            from annotation.importing.pipeline import run_import

            job = run_import(job.pk)
        self.stdout.write(f"import {job.pk}: {len(records)} tasks, {job.status}")
