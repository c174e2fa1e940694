"""The loaded model of a worker process: one scorer kept in memory, swapped when the version changes.

Workers look the active version up for every batch, so activating another version takes effect on
the next batch without a restart. A version's file is sha256-verified each time it is loaded.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from .models import ModelVersion
from .store import verified_path

if TYPE_CHECKING:
    from .runtime.llama import LlamaScorer

_lock = threading.Lock()
_loaded: dict[str, LlamaScorer] = {}


def scorer_for(version: ModelVersion) -> LlamaScorer:
    with _lock:
        scorer = _loaded.get(version.sha256)
        if scorer is None:
            from .runtime.llama import LlamaScorer

            path = verified_path(version)
            for old in _loaded.values():
                old.close()
            _loaded.clear()
            scorer = LlamaScorer(path, max_item_tokens=settings.QUORUM.get("MAX_ITEM_TOKENS", 384))
            _loaded[version.sha256] = scorer
        return scorer


# The zero-shot prompt layout (bench triage: opening the reply makes the label the natural next word
# and quoting the item there keeps 4 tokens per item after it; 0.52 -> 0.78 accuracy on reviews).
DEFAULT_LAYOUT: dict[str, Any] = {"answer_prefix": "The answer is", "quote_item": True, "item_label": "Text"}


def layout_for(version: ModelVersion) -> dict[str, Any]:
    """How to prompt ``version``: the layout it was fine-tuned with, else the zero-shot default."""
    trained = (version.metrics or {}).get("prompt_layout")
    return dict(trained) if isinstance(trained, dict) else dict(DEFAULT_LAYOUT)


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    scores: dict[str, float]


def calibrated(scores: dict[str, float], temperature: float) -> dict[str, float]:
    """Temperature-scale a probability distribution: p_i ∝ p_i^(1/T)."""
    if temperature == 1.0:
        return scores
    logs = {k: math.log(max(v, 1e-30)) / temperature for k, v in scores.items()}
    top = max(logs.values())
    exp = {k: math.exp(v - top) for k, v in logs.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


def predict(
    version: ModelVersion,
    *,
    instruction: str,
    labels: Sequence[str],
    texts: Sequence[str],
    examples: Sequence[tuple[str, str]] = (),
    temperature: float = 1.0,
    max_item_tokens: int | None = None,
    layout: dict[str, Any] | None = None,
) -> list[Prediction]:
    """Label distributions for ``texts``. ``layout`` holds the prompt options of
    ``LlamaScorer.prepare`` (answer_prefix, quote_item, item_label): a fine-tuned version must be
    asked the way it was trained (``prompt_layout``)."""
    scorer = scorer_for(version)
    task = scorer.prepare(instruction, list(labels), list(examples), **(layout or {}))
    out = []
    for raw in scorer.classify(task, list(texts), max_item_tokens=max_item_tokens):
        dist = calibrated(raw, temperature)
        label = max(dist, key=lambda k: dist[k])
        out.append(Prediction(label=label, confidence=dist[label], scores=dist))
    return out
