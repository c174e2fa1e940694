"""The GGUF writer: Q/K permutation, names, and llama.cpp reading back exactly what torch holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.finetune.conftest import needs_torch
from tests.finetune.helpers import llama_logits, torch_logits
from training_export.finetune.gguf_writer import hf_name, permute, unpermute


@pytest.mark.parametrize(("n_head", "n_kv"), [(9, 9), (9, 3), (4, 2)])
def test_permute_is_the_inverse_of_transformers_unpermute(n_head: int, n_kv: int) -> None:
    rng = np.random.default_rng(0)
    head_dim = 8
    rows = n_kv * head_dim
    w = rng.standard_normal((rows, 16)).astype(np.float32)
    np.testing.assert_array_equal(permute(unpermute(w, n_head, n_kv), n_head, n_kv), w)
    np.testing.assert_array_equal(unpermute(permute(w, n_head, n_kv), n_head, n_kv), w)
    assert not np.array_equal(permute(w, n_head, n_kv), w)  # it does move rows
    # llama.cpp interleaves the two rotary halves of each head: rows 0, d/2, 1, d/2+1, ...
    head = permute(np.arange(rows, dtype=np.float32)[:, None], n_head, n_kv)[:head_dim, 0]
    assert head.tolist() == [0, 4, 1, 5, 2, 6, 3, 7]


def test_hf_names() -> None:
    assert hf_name("token_embd.weight") == "model.embed_tokens.weight"
    assert hf_name("output_norm.weight") == "model.norm.weight"
    assert hf_name("blk.11.attn_k.weight") == "model.layers.11.self_attn.k_proj.weight"
    assert hf_name("blk.0.ffn_norm.weight") == "model.layers.0.post_attention_layernorm.weight"
    assert hf_name("blk.3.ffn_down.weight") == "model.layers.3.mlp.down_proj.weight"
    assert hf_name("rope_freqs.weight") is None


@needs_torch
@pytest.mark.slow  # transformers parses the 49k-token vocabulary of the GGUF (~15 s)
def test_tiny_round_trip_changed_weights_read_back_by_llama_cpp(tiny_gguf: Path, tmp_path: Path) -> None:
    """Weights changed in torch, written with the writer, give llama.cpp the logits torch computes."""
    import gguf
    import torch

    from training_export.finetune.gguf_writer import write_gguf
    from training_export.finetune.trainer import load_model

    tokenizer, model = load_model(tiny_gguf)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05 * p.abs().mean())  # a "fine-tune": every tensor moves
    out = write_gguf(
        base=tiny_gguf,
        state=model.state_dict(),
        out=tmp_path / "tuned.F32.gguf",
        out_type="F32",
        name="tuned",
        extra_kv={"quorum.lineage": "{}"},
    )
    reader = gguf.GGUFReader(str(out))
    base = gguf.GGUFReader(str(tiny_gguf))
    assert [t.name for t in reader.tensors] == [t.name for t in base.tensors]
    assert reader.fields["general.name"].contents() == "tuned"
    assert (
        reader.fields["tokenizer.ggml.tokens"].contents()[:50] == base.fields["tokenizer.ggml.tokens"].contents()[:50]
    )
    for t in reader.tensors:
        if t.name.endswith("norm.weight"):
            assert t.tensor_type == gguf.GGMLQuantizationType.F32 and len(t.shape) == 1

    tokens = tokenizer.encode("The film was a delight from start to finish, and", add_special_tokens=False)
    want = torch_logits(model, tokens)
    got = llama_logits(out, tokens)
    # measured: 0.024 max (llama.cpp keeps K/V in f16; the tiny base file itself is 0.03 off torch),
    # whereas writing Q/K unpermuted puts logits 21 off and the unchanged base file is 8 off
    np.testing.assert_allclose(got, want, atol=0.1, rtol=0)
    assert (got.argmax(axis=1) == want.argmax(axis=1)).all()
    # and the original file differs: the comparison is sensitive to the change
    assert np.abs(llama_logits(tiny_gguf, tokens) - want).max() > 1.0


@pytest.fixture(scope="module")
def bundled_torch(bundled_model: Path) -> tuple[Any, Any]:
    from training_export.finetune.trainer import load_model

    return load_model(bundled_model)


@needs_torch
@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("out_type", ["F16", "Q8_0"])
def test_bundled_model_round_trip(
    bundled_model: Path, bundled_torch: tuple[Any, Any], tmp_path: Path, out_type: str
) -> None:
    """SmolLM2 loaded by transformers, written back: llama.cpp's logits match torch's within tolerance."""
    from training_export.finetune.gguf_writer import write_gguf

    tokenizer, model = bundled_torch
    out = write_gguf(
        base=bundled_model, state=model.state_dict(), out=tmp_path / f"rt.{out_type}.gguf", out_type=out_type, name="rt"
    )
    text = "<|im_start|>user\nIs this movie review positive or negative?\nText:\nA warm, funny film.<|im_end|>\n"
    tokens = tokenizer.encode(text, add_special_tokens=False)
    want = torch_logits(model, tokens)
    got = llama_logits(out, tokens)
    diff = np.abs(got - want)
    agree = (got.argmax(axis=1) == want.argmax(axis=1)).mean()
    # torch holds the shipped Q4_1 weights dequantized; llama.cpp also quantizes activations (to 8
    # bits) in its dot products, so even the shipped file itself is ~1.1 off torch at most. Measured
    # here: F16 max 0.056, mean 0.008, top-1 23/23; Q8_0 (weights quantized again) max 1.73, mean
    # 0.24, top-1 20/23. (Q/K left unpermuted put the tiny model 21 off: test above.)
    max_diff, mean_diff, min_agree = {"F16": (0.2, 0.03, 1.0), "Q8_0": (3.0, 0.4, 0.8)}[out_type]
    assert diff.max() < max_diff and diff.mean() < mean_diff, (float(diff.max()), float(diff.mean()))
    assert agree >= min_agree, agree
