"""Importing items through the real pipeline for privacy tests."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from annotation.importing.pipeline import run_import
from annotation.models import ImportStatus, Item, Project
from annotation.services import import_create
from tests.conftest import World
from workforce.access import actor_for


def import_records(world: World, project: Project, records: list[dict[str, Any]]) -> list[Item]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "items.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        job = import_create(
            actor=actor_for(world.users["ml"]), project=project, filename=path.name, path=path, enqueue=False
        )
        job = run_import(job.pk)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    return list(Item.objects.filter(project=project).order_by("id"))
