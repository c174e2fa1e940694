"""Temperature scaling, label-bias fit and expected calibration error on synthetic data."""

from __future__ import annotations

import numpy as np

from inference.runtime.calibration import (
    Calibration,
    expected_calibration_error,
    fit_calibration,
    fit_temperature,
    golden_min,
    log_scores,
    softmax,
)


def sample(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cum = probs.cumsum(axis=1)
    labels: np.ndarray = (rng.random((len(probs), 1)) > cum).sum(axis=1)
    return labels


def test_golden_min_finds_the_minimum() -> None:
    assert abs(golden_min(lambda x: (x - 1.234) ** 2, -10, 10) - 1.234) < 1e-5


def test_temperature_recovered() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (20000, 3))
    labels = sample(softmax(logits / 2.5), rng)
    assert abs(fit_temperature(logits, labels) - 2.5) < 0.15


def test_temperature_below_one_recovered() -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 1, (20000, 4))
    labels = sample(softmax(logits / 0.5), rng)
    assert abs(fit_temperature(logits, labels) - 0.5) < 0.05


def test_temperature_and_bias_recovered() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 2, (30000, 3))
    bias = np.array([0.0, 1.0, -0.5])
    labels = sample(softmax(logits / 2.0 + bias), rng)
    cal = fit_calibration(logits, labels)
    assert abs(cal.temperature - 2.0) < 0.15
    assert cal.bias is not None
    assert np.allclose(cal.bias, bias, atol=0.1)


def test_ece_of_calibrated_set_is_near_zero() -> None:
    rng = np.random.default_rng(3)
    probs = softmax(rng.normal(0, 2, (50000, 3)))
    labels = sample(probs, rng)
    assert expected_calibration_error(probs, labels) < 0.01


def test_ece_of_overconfident_set_is_large_and_fixed_by_temperature() -> None:
    rng = np.random.default_rng(4)
    logits = rng.normal(0, 2, (20000, 2))
    labels = sample(softmax(logits), rng)
    sharp = logits * 4  # an overconfident scorer
    assert expected_calibration_error(softmax(sharp), labels) > 0.1
    cal = Calibration(fit_temperature(sharp, labels))
    assert abs(cal.temperature - 4) < 0.3
    assert expected_calibration_error(cal.apply(sharp), labels) < 0.02


def test_apply_dicts_keeps_label_names() -> None:
    dists = [{"a": 0.9, "b": 0.1}, {"a": 0.2, "b": 0.8}]
    out = Calibration(temperature=2.0).apply_dicts(dists, ["a", "b"])
    assert out[0]["a"] < 0.9 and out[0]["a"] > 0.5
    assert abs(sum(out[1].values()) - 1) < 1e-12
    assert log_scores(dists, ["b", "a"]).shape == (2, 2)
