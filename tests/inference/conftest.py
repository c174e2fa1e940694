"""Fixtures for the runtime tests: a tiny random Llama GGUF (exact math, fast) and the bundled model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

TINY = {"layers": 2, "dim": 64, "ffn": 128, "heads": 4, "kv_heads": 2}


def write_tiny_llama(src: Path, dst: Path, seed: int = 0) -> Path:
    """A 2-layer, 64-wide F32 Llama GGUF with the bundled model's tokenizer and chat template.

    Random weights with a large enough scale that logits spread out, so a wrong mask, position or
    sequence id moves label scores by a lot while correct code agrees to float rounding.
    """
    import gguf

    from inference.runtime.quantize import read_header

    header = read_header(src)
    writer = gguf.GGUFWriter(str(dst), arch="llama")
    head_dim = TINY["dim"] // TINY["heads"]
    overrides = {
        "llama.block_count": TINY["layers"],
        "llama.embedding_length": TINY["dim"],
        "llama.feed_forward_length": TINY["ffn"],
        "llama.attention.head_count": TINY["heads"],
        "llama.attention.head_count_kv": TINY["kv_heads"],
        "llama.rope.dimension_count": head_dim,
        "llama.context_length": 4096,
        "general.file_type": 0,
        "general.name": "tiny-random-llama",
    }
    for key, (vtype, sub_type, value) in header.kv.items():
        if key == "general.architecture":
            continue
        writer.add_key_value(
            key,
            overrides.get(key, value),
            gguf.GGUFValueType(vtype),
            sub_type=None if sub_type is None else gguf.GGUFValueType(sub_type),
        )
    n_vocab = len(header.value("tokenizer.ggml.tokens"))
    rng = np.random.default_rng(seed)
    d, f, kv = TINY["dim"], TINY["ffn"], TINY["kv_heads"] * head_dim

    def w(*shape: int, scale: float = 1.0) -> np.ndarray:
        weights: np.ndarray = (rng.standard_normal(shape) * scale / np.sqrt(shape[-1])).astype(np.float32)
        return weights

    writer.add_tensor("token_embd.weight", (rng.standard_normal((n_vocab, d)) * 0.5).astype(np.float32))
    writer.add_tensor("output_norm.weight", np.ones(d, dtype=np.float32))
    for layer in range(TINY["layers"]):
        p = f"blk.{layer}."
        writer.add_tensor(p + "attn_norm.weight", np.ones(d, dtype=np.float32))
        writer.add_tensor(p + "ffn_norm.weight", np.ones(d, dtype=np.float32))
        writer.add_tensor(p + "attn_q.weight", w(d, d, scale=2.0))
        writer.add_tensor(p + "attn_k.weight", w(kv, d, scale=2.0))
        writer.add_tensor(p + "attn_v.weight", w(kv, d))
        writer.add_tensor(p + "attn_output.weight", w(d, d))
        writer.add_tensor(p + "ffn_gate.weight", w(f, d))
        writer.add_tensor(p + "ffn_up.weight", w(f, d))
        writer.add_tensor(p + "ffn_down.weight", w(d, f))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dst


def _have(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


@pytest.fixture(scope="session")
def bundled_model() -> Path:
    if not _have("llama_cpp", "gguf"):
        pytest.skip("llama-cpp-python and gguf are needed")
    from inference.runtime import bundled_model_path

    try:
        return bundled_model_path()
    except FileNotFoundError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def tiny_model(bundled_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama(bundled_model, tmp_path_factory.mktemp("tiny") / "tiny-llama.F32.gguf")


@pytest.fixture(scope="session")
def q4_0_model(bundled_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from inference.runtime.quantize import quantize

    return quantize(bundled_model, tmp_path_factory.mktemp("q4_0") / "smollm2.Q4_0.gguf", "Q4_0")
