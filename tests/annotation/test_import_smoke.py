"""Smoke test for the import pipeline against PostgreSQL."""

from pathlib import Path

from annotation.importing.pipeline import run_import
from annotation.models import ImportStatus, Item
from annotation.services import import_create
from workforce.access import actor_for


def test_import_jsonl_creates_items(world, project, tmp_path: Path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a", "text": "mail me at x.y@example.com"}\n{"id": "b", "text": "hello"}\n')
    job = import_create(
        actor=actor_for(world.users["ml"]), project=project, filename="a.jsonl", path=path, enqueue=False
    )
    job = run_import(job.pk)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert job.created_count == 2
    item = Item.objects.get(project=project, external_id="a")
    assert "x.y@example.com" not in item.text_redacted
