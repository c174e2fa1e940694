"""Every export format parses back to the rows written; CSV is formula-safe; outputs are deterministic."""

from __future__ import annotations

import csv
import io
import json
import tarfile
from pathlib import Path

import orjson
import pytest

from training_export.formats import ExportContext, ExportRow, FormatError, open_writer, safe_cell
from training_export.formats.text import bio_tags, labelstudio_to_records

CTX = ExportContext(kind="single_label", labels=("billing", "technical", "other"), instruction="")
SPAN_CTX = ExportContext(kind="span", labels=("PER", "LOC"))


def _rows() -> list[ExportRow]:
    return [
        ExportRow(1, "a1", '=HYPERLINK("http://evil")', ("billing",), (), 1.0, 1.0, 3, "majority", "train"),
        ExportRow(2, "+a2", 'plain, with "quotes"\nand a newline', ("other",), (), 0.6667, 0.6667, 3, "gold", "test"),
        ExportRow(3, "a3", "-1+2", ("technical",), (), 0.5, 0.5, 2, "weighted", "validation"),
        ExportRow(4, "a4", "@SUM(A1)", ("billing",), (), 1.0, 1.0, 1, "majority", "train"),
    ]


def _span_rows() -> list[ExportRow]:
    return [
        ExportRow(
            10,
            "s1",
            "Maria Garcia lives in Lisbon.",
            (),
            ((0, 12, "PER"), (22, 28, "LOC")),
            1.0,
            1.0,
            2,
            "majority",
            "train",
        ),
        ExportRow(11, "s2", "Nothing here", (), (), 1.0, 1.0, 2, "majority", "test"),
    ]


def _write(fmt: str, rows: list[ExportRow], tmp_path: Path, ctx: ExportContext = CTX) -> bytes:
    out = io.BytesIO()
    work = tmp_path / f"work-{fmt}-{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    writer = open_writer(fmt, out, ctx, work)
    writer.write_rows(rows[:2])
    writer.write_rows(rows[2:])
    writer.close()
    return out.getvalue()


def test_safe_cell_neutralizes_formula_starts():
    for bad in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("fine") == "fine" and safe_cell("") == ""


def test_csv_parses_back_and_no_cell_starts_a_formula(tmp_path):
    data = _write("csv", _rows(), tmp_path)
    table = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert table[0] == ["id", "split", "text", "labels", "spans", "agreement", "confidence", "annotators", "resolution"]
    body = table[1:]
    assert len(body) == 4
    assert body[0][2] == '\'=HYPERLINK("http://evil")'
    assert body[1][0] == "'+a2" and body[1][2] == 'plain, with "quotes"\nand a newline'
    assert body[2][2] == "'-1+2" and body[3][2] == "'@SUM(A1)"
    assert [r[3] for r in body] == ["billing", "other", "technical", "billing"]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in body for cell in row)


def test_jsonl_and_chat_parse_back(tmp_path):
    lines = [orjson.loads(x) for x in _write("jsonl", _rows(), tmp_path).splitlines()]
    assert [x["id"] for x in lines] == ["a1", "+a2", "a3", "a4"]
    assert lines[1] == {
        "id": "+a2",
        "item_id": 2,
        "text": 'plain, with "quotes"\nand a newline',
        "label": "other",
        "labels": ["other"],
        "spans": [],
        "split": "test",
        "agreement": 0.6667,
        "confidence": 0.6667,
        "annotators": 3,
        "resolution": "gold",
    }
    chat = [orjson.loads(x) for x in _write("chat", _rows(), tmp_path).splitlines()]
    roles = [m["role"] for m in chat[0]["messages"]]
    assert roles == ["system", "user", "assistant"]
    assert "billing, technical, other" in chat[0]["messages"][0]["content"]
    assert chat[2]["messages"][1]["content"] == "-1+2" and chat[2]["messages"][2]["content"] == "technical"


def test_parquet_reads_back_with_pyarrow(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    data = _write("parquet", _span_rows() + _span_rows()[:0], tmp_path, SPAN_CTX)
    table = pq.read_table(io.BytesIO(data))
    assert table.num_rows == 2
    rows = table.to_pylist()
    assert rows[0]["id"] == "s1" and rows[0]["spans"] == [
        {"start": 0, "end": 12, "label": "PER"},
        {"start": 22, "end": 28, "label": "LOC"},
    ]
    assert rows[1]["spans"] == [] and rows[1]["split"] == "test"
    assert _write("parquet", _span_rows(), tmp_path, SPAN_CTX) == data  # deterministic bytes


def test_hf_dataset_folder_reads_back_with_pyarrow(tmp_path):
    pa = pytest.importorskip("pyarrow")
    data = _write("hf", _rows(), tmp_path)
    target = tmp_path / "unpacked"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = sorted(tar.getnames())
        tar.extractall(target, filter="data")
    assert "dataset/dataset_dict.json" in names and "dataset/train/data-00000-of-00001.arrow" in names
    root = target / "dataset"
    assert json.loads((root / "dataset_dict.json").read_text()) == {"splits": ["train", "validation", "test"]}
    seen = {}
    for split in ("train", "validation", "test"):
        with pa.OSFile(str(root / split / "data-00000-of-00001.arrow")) as fh:
            table = pa.ipc.open_stream(fh).read_all()
        seen[split] = table.column("id").to_pylist()
        state = json.loads((root / split / "state.json").read_text())
        info = json.loads((root / split / "dataset_info.json").read_text())
        assert state["_data_files"] == [{"filename": "data-00000-of-00001.arrow"}] and state["_split"] == split
        assert info["splits"][split]["num_examples"] == len(seen[split])
        assert set(info["features"]) == set(table.column_names)
    assert seen == {"train": ["a1", "a4"], "validation": ["a3"], "test": ["+a2"]}
    assert _write("hf", _rows(), tmp_path) == data  # deterministic bytes (fixed tar times and owners)


def test_conll_bio_tags_and_span_only(tmp_path):
    assert bio_tags("Maria Garcia lives in Lisbon.", [(0, 12, "PER"), (22, 28, "LOC")]) == [
        ("Maria", "B-PER"),
        ("Garcia", "I-PER"),
        ("lives", "O"),
        ("in", "O"),
        ("Lisbon.", "B-LOC"),
    ]
    text = _write("conll", _span_rows(), tmp_path, SPAN_CTX).decode()
    docs = [d for d in text.split("\n\n") if d.strip()]
    assert docs[0].splitlines()[:3] == ["# id = s1", "# split = train", "Maria\tB-PER"]
    assert docs[1].splitlines()[2:] == ["Nothing\tO", "here\tO"]
    with pytest.raises(FormatError):
        open_writer("conll", io.BytesIO(), CTX, tmp_path)


def test_label_studio_json_round_trips(tmp_path):
    tasks = json.loads(_write("labelstudio", _span_rows(), tmp_path, SPAN_CTX))
    assert tasks[0]["data"] == {"text": "Maria Garcia lives in Lisbon.", "external_id": "s1"}
    result = tasks[0]["annotations"][0]["result"]
    assert result[0]["type"] == "labels" and result[0]["value"]["text"] == "Maria Garcia"
    back = labelstudio_to_records(tasks, kind="span")
    assert back[0] == {
        "external_id": "s1",
        "text": "Maria Garcia lives in Lisbon.",
        "spans": [{"start": 0, "end": 12, "label": "PER"}, {"start": 22, "end": 28, "label": "LOC"}],
    }
    choices = json.loads(_write("labelstudio", _rows(), tmp_path))
    assert [t["annotations"][0]["result"][0]["value"]["choices"] for t in choices] == [
        ["billing"],
        ["other"],
        ["technical"],
        ["billing"],
    ]
    assert labelstudio_to_records(choices, kind="single_label")[1] == {
        "external_id": "+a2",
        "text": 'plain, with "quotes"\nand a newline',
        "label": "other",
    }
    empty = io.BytesIO()
    writer = open_writer("labelstudio", empty, CTX, tmp_path)
    writer.close()
    assert json.loads(empty.getvalue()) == []


def test_label_studio_export_moves_into_another_project(world, project, snapshot_dir, tmp_path):
    from django.core.management import call_command

    from annotation.models import ImportStatus, Item
    from tests.conftest import make_project
    from training_export.build import run_build, snapshot_path
    from training_export.services import snapshot_create
    from workforce.access import actor_for

    from .conftest import add_item, answer

    for i, label in enumerate(("billing", "other", "technical")):
        answer(add_item(project, f"ls{i}", f"text number {i}"), world.users["annotator"], [label])
    snap = run_build(
        snapshot_create(actor=actor_for(world.users["ml"]), project=project, fmt="labelstudio", enqueue=False).pk
    )
    target = make_project(world, name="Moved in")
    out = io.StringIO()
    call_command("import_labelstudio", str(snapshot_path(snap)), "--project", str(target.pk), "--now", stdout=out)
    assert "3 tasks, succeeded" in out.getvalue() or ImportStatus.SUCCEEDED in out.getvalue()
    moved = {i.external_id: i.reference["labels"] for i in Item.objects.filter(project=target)}
    assert moved == {"ls0": ["billing"], "ls1": ["other"], "ls2": ["technical"]}
