"""The model store and `manage.py classify` with the real bundled model."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.core.management import call_command

from inference.models import ModelVersion
from inference.store import ModelIntegrityError, ensure_base_models, verified_path

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_serving_copy_is_registered_and_verified(db, tmp_path, settings):
    settings.QUORUM = {**settings.QUORUM, "MODEL_DIR": tmp_path}
    serving = ensure_base_models()
    assert serving.quantization == settings.QUORUM["SERVING_QUANT"].upper()
    assert serving.parent is not None and serving.parent.quantization == "Q4_1"
    assert verified_path(serving).is_file()
    assert ensure_base_models().pk == serving.pk  # built once
    with open(verified_path(serving), "r+b") as fh:  # a corrupted file never serves
        fh.seek(-1, 2)
        last = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([last[0] ^ 0xFF]))
    with pytest.raises(ModelIntegrityError, match="does not match"):
        verified_path(ModelVersion.objects.get(pk=serving.pk))


def test_classify_command_streams_predictions(db, monkeypatch, capsysbinary):
    lines = [
        {"id": 1, "text": "I love this film, it was wonderful and moving."},
        {"id": "b", "text": "Terrible, boring and far too long. I hated it."},
    ]
    payload = "".join(json.dumps(x) + "\n" for x in lines).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(payload)))
    instruction = "Is this movie review positive or negative?"
    call_command("classify", "--labels", "positive,negative", "--instruction", instruction)
    out = [json.loads(line) for line in capsysbinary.readouterr().out.decode().splitlines()]
    assert [o["id"] for o in out] == [1, "b"]
    for o in out:
        assert set(o["scores"]) == {"positive", "negative"}
        assert abs(sum(o["scores"].values()) - 1) < 1e-4
        assert o["label"] == max(o["scores"], key=o["scores"].get)
    assert out[0]["label"] == "positive" and out[1]["label"] == "negative"
