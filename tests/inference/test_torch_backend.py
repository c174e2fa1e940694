"""TorchScorer: same prompts and tokens as llama.cpp, same label scores on F32 weights, batch = single."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.inference.test_llama_scorer import INSTRUCTION, LABELS, TEXTS

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("transformers") is None or importlib.util.find_spec("accelerate") is None,
        reason="transformers + accelerate are needed to load GGUF weights in torch",
    ),
    pytest.mark.slow,  # transformers' GGUF loader parses the 49k-token vocabulary twice (~15 s)
]
# llama.cpp keeps K and V in f16, torch in f32: scores of size ~100 nats agree to ~1e-4 relative.
RTOL, ATOL = 1e-3, 1e-2


@pytest.fixture(scope="module")
def torch_tiny(tiny_model: Path) -> Iterator[object]:
    import torch

    from inference.runtime.torch_backend import TorchScorer

    scorer = TorchScorer(tiny_model, device="cpu", dtype=torch.float32, batch_size=8)
    yield scorer
    scorer.close()


@pytest.fixture(scope="module")
def llama_tiny(tiny_model: Path) -> Iterator[object]:
    from inference.runtime.llama import LlamaScorer

    scorer = LlamaScorer(tiny_model, n_ctx=2048, n_batch=512, flash_attn=False)
    yield scorer
    scorer.close()


def test_same_tokens_as_llama_cpp(torch_tiny, llama_tiny) -> None:
    for text in [*TEXTS, "héllo wörld 12345\n\n\ttabs", "<|im_start|>user"]:
        assert torch_tiny.tokenize(text) == llama_tiny.tokenize(text)
    a = torch_tiny.prepare(INSTRUCTION, LABELS)
    b = llama_tiny.prepare(INSTRUCTION, LABELS)
    assert (a.prefix_tokens, a.suffix_tokens, a.label_tokens) == (b.prefix_tokens, b.suffix_tokens, b.label_tokens)


def test_scores_match_llama_cpp(torch_tiny, llama_tiny) -> None:
    got = np.array(torch_tiny.label_logprobs(torch_tiny.prepare(INSTRUCTION, LABELS), TEXTS))
    want = np.array(llama_tiny.label_logprobs(llama_tiny.prepare(INSTRUCTION, LABELS), TEXTS))
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_batch_equals_single_and_sums_to_one(torch_tiny) -> None:
    task = torch_tiny.prepare(INSTRUCTION, LABELS)
    batch = np.array(torch_tiny.label_logprobs(task, TEXTS))
    single = np.array([torch_tiny.label_logprobs(task, [t])[0] for t in TEXTS])
    assert np.abs(batch - single).max() < 1e-3
    for dist in torch_tiny.classify(task, TEXTS):
        assert abs(sum(dist.values()) - 1) < 1e-9


def test_truncation_matches_llama_cpp(torch_tiny, llama_tiny) -> None:
    long_text = " ".join(f"word{i}" for i in range(600))
    got = torch_tiny.label_logprobs(torch_tiny.prepare(INSTRUCTION, LABELS), [long_text], max_item_tokens=64)
    want = llama_tiny.label_logprobs(llama_tiny.prepare(INSTRUCTION, LABELS), [long_text], max_item_tokens=64)
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=RTOL, atol=ATOL)


def test_pick_backend() -> None:
    from inference.runtime import cuda_available, pick_backend

    assert pick_backend("llama") == "llama"
    assert pick_backend() == ("torch" if cuda_available() else "llama")
    with pytest.raises(ValueError):
        pick_backend("onnx")
