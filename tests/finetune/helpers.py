"""Next-token logits of a token sequence from llama.cpp and from torch, for round-trip comparisons."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def llama_logits(path: Path, tokens: Sequence[int]) -> np.ndarray:
    """(len(tokens), n_vocab) logits from llama.cpp, every position, one sequence from an empty cache."""
    import llama_cpp

    from inference.runtime.llama import LlamaScorer

    with LlamaScorer(path, n_ctx=512, n_batch=512, flash_attn=False) as scorer:
        scorer._reset_memory()
        for i, token in enumerate(tokens):
            scorer._put(i, token, i, (0,), True)
        scorer._decode(len(tokens))
        rows = [
            np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(scorer._ctx, i), shape=(scorer.n_vocab,)).copy()
            for i in range(len(tokens))
        ]
    return np.stack(rows)


def torch_logits(model: Any, tokens: Sequence[int]) -> np.ndarray:
    import torch

    with torch.inference_mode():
        out = model(input_ids=torch.tensor([list(tokens)]))
    logits: np.ndarray = out.logits[0].float().numpy()
    return logits
