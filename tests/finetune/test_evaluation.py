"""Evaluation metrics, checked against hand-computed values."""

from __future__ import annotations

import pytest

from training_export.finetune.evaluation import compare, metrics


def test_metrics_by_hand() -> None:
    labels = ["a", "b"]
    truth = ["a", "a", "a", "b"]
    dists = [{"a": 0.9, "b": 0.1}, {"a": 0.6, "b": 0.4}, {"a": 0.2, "b": 0.8}, {"a": 0.3, "b": 0.7}]
    m = metrics(labels, truth, dists)
    assert m["accuracy"] == 0.75
    # a: P 1, R 2/3, F1 0.8; b: P 0.5, R 1, F1 2/3
    assert m["per_label"]["a"] == {"precision": 1.0, "recall": 0.6667, "f1": 0.8, "support": 3}
    assert m["per_label"]["b"]["f1"] == pytest.approx(0.6667)
    assert m["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2, abs=1e-4)
    assert 0 <= m["ece"] <= 1
    assert compare(m, {**m, "accuracy": 0.5, "macro_f1": 0.5, "ece": m["ece"] + 0.1}) == {
        "accuracy": 0.25,
        "macro_f1": pytest.approx(0.2333, abs=1e-4),
        "ece": 0.1,
    }


def test_perfect_and_confident_has_zero_ece() -> None:
    m = metrics(["x", "y"], ["x", "y"], [{"x": 1.0, "y": 0.0}, {"x": 0.0, "y": 1.0}])
    assert m["accuracy"] == 1.0 and m["macro_f1"] == 1.0 and m["ece"] == 0.0


def test_mismatched_lengths_fail() -> None:
    with pytest.raises(ValueError):
        metrics(["x", "y"], ["x"], [])
