"""Serving copies: llama.cpp's quantizer, file types, stable sha256, the cached copy's checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_quantize_gives_a_loadable_q4_0_file(q4_0_model: Path, bundled_model: Path) -> None:
    from inference.runtime.llama import LlamaScorer
    from inference.runtime.quantize import file_type, tensor_types

    assert file_type(bundled_model) == "Q4_1"
    assert file_type(q4_0_model) == "Q4_0"
    # every matrix in Q4_0 but the tied token embedding, kept Q8_0 as shipped; norms stay F32
    assert tensor_types(q4_0_model) == {"Q4_0": 210, "Q8_0": 1, "F32": 61}
    with LlamaScorer(q4_0_model, n_ctx=512, n_batch=256) as scorer:
        assert scorer.tokenize("hello world")


def test_quantize_is_deterministic(q4_0_model: Path, bundled_model: Path, tmp_path: Path) -> None:
    from inference.runtime.quantize import quantize, sha256_file

    again = quantize(bundled_model, tmp_path / "again.gguf", "Q4_0", nthread=1)
    assert sha256_file(again) == sha256_file(q4_0_model)
    assert sha256_file(again) == sha256_file(again)


def test_serving_copy_is_cached_and_verified(bundled_model: Path, tmp_path: Path) -> None:
    from inference.runtime.quantize import serving_copy, sha256_file

    path = serving_copy(bundled_model, "Q8_0", tmp_path)
    assert path.name == "SmolLM2-135M-Instruct.Q8_0.gguf"
    meta = json.loads(path.with_name(path.name + ".json").read_text())
    assert meta["sha256"] == sha256_file(path)
    assert meta["source_sha256"] == sha256_file(bundled_model)
    mtime = path.stat().st_mtime_ns
    assert serving_copy(bundled_model, "Q8_0", tmp_path) == path
    assert path.stat().st_mtime_ns == mtime  # reused, not rebuilt
    with open(path, "r+b") as fh:  # corrupt one byte: the copy is rebuilt
        fh.seek(-1, 2)
        byte = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert serving_copy(bundled_model, "Q8_0", tmp_path) == path
    assert sha256_file(path) == meta["sha256"]
    assert not list(tmp_path.glob("*.part"))


def test_unknown_quantization_is_refused(bundled_model: Path, tmp_path: Path) -> None:
    from inference.runtime.quantize import quantize

    with pytest.raises(ValueError):
        quantize(bundled_model, tmp_path / "x.gguf", "Q3_X")


def test_header_reader_matches_gguf_package(tiny_model: Path) -> None:
    import gguf

    from inference.runtime.quantize import read_header

    header = read_header(tiny_model)
    reader = gguf.GGUFReader(str(tiny_model))
    assert header.value("llama.block_count") == reader.fields["llama.block_count"].contents()
    assert header.value("tokenizer.ggml.merges")[:50] == reader.fields["tokenizer.ggml.merges"].contents()[:50]
    assert [t[0] for t in header.tensors] == [t.name for t in reader.tensors]
