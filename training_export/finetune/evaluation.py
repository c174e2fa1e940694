"""Classification metrics for a model on a labeled split: accuracy, macro-F1, per-label P/R/F1, ECE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inference.runtime.calibration import expected_calibration_error


def metrics(labels: Sequence[str], truth: Sequence[str], dists: Sequence[dict[str, float]]) -> dict[str, Any]:
    """Metrics of predicted distributions ``dists`` against ``truth`` (top label = prediction).

    ECE is of the raw (uncalibrated) label distribution, the one serving starts from.
    """
    if len(truth) != len(dists):
        raise ValueError("truth and predictions differ in length")
    if not truth:
        raise ValueError("no items to evaluate")
    predicted = [max(labels, key=lambda lab, d=d: d[lab]) for d in dists]  # type: ignore[misc]
    per_label: dict[str, dict[str, float | int]] = {}
    f1s = []
    for label in labels:
        tp = sum(p == label and t == label for p, t in zip(predicted, truth, strict=True))
        fp = sum(p == label and t != label for p, t in zip(predicted, truth, strict=True))
        fn = sum(p != label and t == label for p, t in zip(predicted, truth, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        per_label[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    index = {label: i for i, label in enumerate(labels)}
    probs = [[d[label] for label in labels] for d in dists]
    ece = expected_calibration_error(probs, [index[t] for t in truth])
    accuracy = sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)
    return {
        "items": len(truth),
        "accuracy": round(accuracy, 4),
        "macro_f1": round(sum(f1s) / len(f1s), 4),
        "ece": round(ece, 4),
        "per_label": per_label,
    }


def compare(child: dict[str, Any], parent: dict[str, Any]) -> dict[str, float]:
    """Child minus parent on the headline metrics (positive: the child is better, lower ECE is better)."""
    return {
        "accuracy": round(child["accuracy"] - parent["accuracy"], 4),
        "macro_f1": round(child["macro_f1"] - parent["macro_f1"], 4),
        "ece": round(parent["ece"] - child["ece"], 4),
    }


def score(
    model_path: Any,
    *,
    instruction: str,
    labels: Sequence[str],
    texts: Sequence[str],
    max_item_tokens: int = 384,
    n_threads: int | None = None,
) -> list[dict[str, float]]:
    """Label distributions from llama.cpp's scorer on a GGUF, with serving's default prompt layout."""
    from inference.runtime.llama import LlamaScorer

    scorer = LlamaScorer(model_path, n_threads=n_threads, max_item_tokens=max_item_tokens)
    try:
        task = scorer.prepare(instruction, list(labels))
        return scorer.classify(task, list(texts))
    finally:
        scorer.close()
