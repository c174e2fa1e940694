"""manage.py finetune end to end: a JSON-lines file in, a staged version out that `classify --model` serves."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from inference.models import ModelKind, ModelStatus, ModelVersion
from tests.finetune.conftest import needs_torch

INSTRUCTION = "Is this movie review positive or negative?"
LABELS = "positive,negative"


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_rejects_bad_input_before_loading_a_model(db, tmp_path: Path) -> None:
    ModelVersion.objects.create(name="taken", kind=ModelKind.BASE, gguf_path="x.gguf", quantization="Q4_0", sha256="0")
    train = write_jsonl(tmp_path / "t.jsonl", [{"id": 1, "text": "fine", "label": "positive"}])
    args = ["--train", str(train), "--labels", LABELS, "--instruction", INSTRUCTION]
    with pytest.raises(CommandError, match="exists already"):
        call_command("finetune", *args, "--name", "taken")
    with pytest.raises(CommandError, match="no model version 'nope'"):
        call_command("finetune", *args, "--name", "new", "--parent", "nope")
    bad = write_jsonl(tmp_path / "b.jsonl", [{"id": 1, "text": "fine", "label": "positive"}, {"id": 2, "text": "x"}])
    with pytest.raises(CommandError, match=r"b.jsonl:2: label None"):
        call_command("finetune", "--train", str(bad), "--labels", LABELS, "--instruction", INSTRUCTION, "--name", "n")
    with pytest.raises(CommandError, match="two distinct labels"):
        call_command("finetune", *args[:2], "--labels", "a,a", "--instruction", "x", "--name", "n")


def classify(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes], *extra: str
) -> list[dict[str, Any]]:
    lines = [{"id": 1, "text": "A warm, funny and moving film."}, {"id": 2, "text": "Dull, long and pointless."}]
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO("".join(json.dumps(x) + "\n" for x in lines).encode()))
    )
    call_command("classify", "--labels", LABELS, "--instruction", INSTRUCTION, *extra)
    return [json.loads(line) for line in capsysbinary.readouterr().out.decode().splitlines()]


@needs_torch
@pytest.mark.slow
@pytest.mark.model
# ~1.5 min on an idle 2-core CPU, mostly transformers parsing the GGUF; 5 min when the CPU is shared
@pytest.mark.timeout(900)
def test_finetune_then_classify_with_the_new_version(db, tmp_path: Path, settings, monkeypatch, capsysbinary) -> None:
    from bench.textdata import load_labeled
    from inference.store import verified_path
    from training_export.finetune.data import Record, records_sha256

    settings.QUORUM = {**settings.QUORUM, "MODEL_DIR": tmp_path / "models"}
    texts, labels, _ = load_labeled(32, 0, split="dev")  # real labeled review snippets
    rows = [{"id": f"r{i}", "text": t, "label": y} for i, (t, y) in enumerate(zip(texts, labels, strict=True))]
    train = write_jsonl(tmp_path / "train.jsonl", rows[:24])
    test = write_jsonl(tmp_path / "test.jsonl", rows[24:])
    call_command(
        "finetune",
        "--train",
        str(train),
        "--test",
        str(test),
        "--labels",
        LABELS,
        "--instruction",
        INSTRUCTION,
        "--name",
        "rt-small",
        "--max-steps",
        "3",
        "--batch-size",
        "8",
    )
    assert "registered rt-small (Q4_0, staged)" in capsysbinary.readouterr().out.decode()
    version = ModelVersion.objects.get(name="rt-small")
    assert version.kind == ModelKind.FINE_TUNED and version.status == ModelStatus.STAGED
    assert version.parent is not None and version.parent.kind == ModelKind.BASE
    assert version.quantization == settings.QUORUM["SERVING_QUANT"].upper()
    assert version.labels == ["positive", "negative"] and version.instruction == INSTRUCTION
    m = version.metrics
    want_sha = records_sha256([Record(r["id"], r["text"], r["label"]) for r in rows[:24]])
    assert m["lineage"]["data_sha256"] == want_sha and m["lineage"]["parent"] == version.parent.name
    assert m["lineage"]["hyperparameters"]["max_steps"] == 3 and m["train"]["steps"] == 3
    assert m["test"]["items"] == 8 and m["parent_test"]["items"] == 8
    assert set(m["test"]["per_label"]) == {"positive", "negative"} and "ece" in m["test"]
    assert verified_path(version).is_file()
    assert (tmp_path / "models" / m["lineage"]["master_gguf"]).is_file()

    tuned = classify(monkeypatch, capsysbinary, "--model", "rt-small")
    base = classify(monkeypatch, capsysbinary)
    assert [o["id"] for o in tuned] == [1, 2]
    for o in tuned:
        assert abs(sum(o["scores"].values()) - 1) < 1e-4
    # three LoRA steps move the label scores: the new file is what serves
    assert abs(tuned[0]["scores"]["positive"] - base[0]["scores"]["positive"]) > 1e-3
