"""The import pipeline: formats, exact error positions, all-or-nothing, idempotent re-import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotation.importing.pipeline import run_import
from annotation.models import ImportJob, ImportStatus, Item
from annotation.services import import_create
from privacy.content import open_item_text
from workforce.access import AccessDenied, actor_for


def _run(world, project, path: Path, fmt: str | None = None) -> ImportJob:
    job = import_create(
        actor=actor_for(world.users["ml"]), project=project, filename=path.name, path=path, fmt=fmt, enqueue=False
    )
    return run_import(job.pk)


def _lines(records: list[object]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def test_bad_file_reports_exact_positions_and_stores_nothing(world, project, tmp_path):
    records: list[object] = [{"id": f"ok-{i}", "text": f"item {i}"} for i in range(1, 14)]
    records[6] = '{"id": "ok-7", "text": "broken'  # line 7: bad JSON
    records[8] = {"id": "ok-9"}  # line 9: missing text
    records[11] = {"id": "ok-12", "text": "x", "label": "nonsense"}  # line 12: unknown label
    records[12] = {"id": "ok-3", "text": "again"}  # line 13: duplicate of line 3
    path = tmp_path / "bad.jsonl"
    path.write_text(_lines(records))

    job = _run(world, project, path)

    assert job.status == ImportStatus.FAILED
    positions = [(e["line"], e.get("field")) for e in job.errors]
    assert (7, None) in positions
    assert (9, "text") in positions
    assert (12, "label") in positions
    assert (13, "external_id") in positions
    assert next(e for e in job.errors if e["line"] == 7)["message"].startswith("invalid JSON")
    assert "unknown label 'nonsense'" in next(e for e in job.errors if e["line"] == 12)["message"]
    assert "duplicate id 'ok-3' (lines 3, 13)" in next(e for e in job.errors if e["line"] == 13)["message"]
    assert job.error_count == 4
    assert Item.objects.filter(project=project).count() == 0


def test_duplicate_ids_report_every_line(world, project, tmp_path):
    path = tmp_path / "dup.jsonl"
    path.write_text(_lines([{"id": "a", "text": "1"}, {"id": "b", "text": "2"}, {"id": "a", "text": "3"}]))
    job = _run(world, project, path)
    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        {"line": 3, "field": "external_id", "message": "duplicate id 'a' (lines 1, 3)"}
    ]
    assert not Item.objects.filter(project=project).exists()


def test_reimport_updates_or_skips_never_duplicates(world, project, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(_lines([{"id": "a", "text": "one"}, {"id": "b", "text": "two"}]))
    first = _run(world, project, path)
    assert (first.created_count, first.updated_count, first.skipped_count) == (2, 0, 0)

    path.write_text(_lines([{"id": "a", "text": "one"}, {"id": "b", "text": "two, edited"}, {"id": "c", "text": "3"}]))
    second = _run(world, project, path)
    assert (second.created_count, second.updated_count, second.skipped_count) == (1, 1, 1)
    assert Item.objects.filter(project=project).count() == 3
    assert open_item_text(Item.objects.get(project=project, external_id="b")) == "two, edited"


def test_json_array_and_csv(world, project, tmp_path):
    array = tmp_path / "items.json"
    array.write_text(json.dumps([{"id": 1, "text": "first"}, {"id": 2, "text": "second", "priority": 3}], indent=2))
    assert _run(world, project, array).created_count == 2

    csv_path = tmp_path / "items.csv"
    csv_path.write_text(
        "external_id,text,priority,allowed_purposes,metadata.channel\n"
        'c1,"hello, world",2,annotation;evaluation,email\n'
        "c2,=cmd|' /C calc'!A0,0,,chat\n"
    )
    job = _run(world, project, csv_path)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    c1 = Item.objects.get(project=project, external_id="c1")
    assert (open_item_text(c1), c1.priority, c1.allowed_purposes, c1.metadata) == (
        "hello, world", 2, ["annotation", "evaluation"], {"channel": "email"}
    )
    assert Item.objects.get(project=project, external_id="2").priority == 3


def test_json_array_errors_name_the_line(world, project, tmp_path):
    path = tmp_path / "items.json"
    path.write_text('[\n  {"id": "a", "text": "x"},\n  {"id": "b"},\n  {"id": "c", "text": 5}\n]\n')
    job = _run(world, project, path)
    assert [(e["line"], e["field"]) for e in job.errors] == [(3, "text"), (4, "text")]


def test_csv_errors_name_the_line(world, project, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text('external_id,text,label\na,fine,billing\nb,"multi\nline",nope\nc,short\n')
    job = _run(world, project, path)
    assert [(e["line"], e.get("field")) for e in job.errors] == [(3, "label"), (5, None)]


def test_gold_items_need_an_answer_and_pins_need_a_known_vendor(world, project, tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text(
        _lines(
            [
                {"id": "g1", "text": "x", "gold": True},
                {"id": "g2", "text": "x", "pinned_vendor": "Nobody Inc"},
                {"id": "g3", "text": "x", "gold": True, "label": "billing", "pinned_vendor": "Onshore"},
            ]
        )
    )
    job = _run(world, project, path)
    assert [(e["line"], e["field"]) for e in job.errors] == [(1, "gold"), (2, "pinned_vendor")]
    path.write_text(_lines([{"id": "g3", "text": "x", "gold": True, "label": "billing", "pinned_vendor": "Onshore"}]))
    assert _run(world, project, path).status == ImportStatus.SUCCEEDED
    item = Item.objects.get(external_id="g3")
    assert item.is_gold and item.reference == {"labels": ["billing"], "spans": []}
    assert item.pinned_vendor == world.onshore


def test_empty_and_unreadable_files_fail_cleanly(world, project, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    job = _run(world, project, empty)
    assert job.status == ImportStatus.FAILED and job.errors[0]["message"] == "the file holds no records"
    binary = tmp_path / "bin.json"
    binary.write_bytes(b'[{"id": "a", "text": "\xff\xfe"}]')
    job = _run(world, project, binary)
    assert job.status == ImportStatus.FAILED
    assert "UTF-8" in job.errors[0]["message"]


def test_vendor_staff_cannot_import(world, project, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(_lines([{"id": "a", "text": "x"}]))
    with pytest.raises(AccessDenied):
        import_create(actor=actor_for(world.users["off_manager"]), project=project, filename="a.jsonl", path=path)


def test_rerunning_a_finished_job_is_a_no_op(world, project, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(_lines([{"id": "a", "text": "x"}]))
    job = _run(world, project, path)
    again = run_import(job.pk)
    assert again.status == ImportStatus.SUCCEEDED and again.attempts == 1
    assert Item.objects.filter(project=project).count() == 1


def test_management_command_prints_file_line_field(world, project, tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text(_lines([{"id": "a", "text": "x"}, {"id": "b", "label": "billing"}]))
    with pytest.raises(CommandError, match="nothing was stored"):
        call_command("import_items", project.slug, str(path))
    assert f"{path}:2: [text] missing" in capsys.readouterr().err
    path.write_text(_lines([{"id": "a", "text": "x"}, {"id": "b", "text": "y", "label": "billing"}]))
    call_command("import_items", str(project.pk), str(path))
    assert "2 created" in capsys.readouterr().out
