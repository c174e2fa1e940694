"""Calibration of label scores: temperature scaling, label-prior bias, expected calibration error (numpy)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

GOLDEN = (math.sqrt(5) - 1) / 2


def _as_scores(scores: ArrayLike) -> NDArray[np.float64]:
    """(n, k) log-scores: logits or log-probabilities (``np.log`` of a scorer's distributions)."""
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError("scores must be an (n, k) array with k >= 2")
    return arr


def log_scores(dists: Sequence[dict[str, float]], labels: Sequence[str]) -> NDArray[np.float64]:
    """A scorer's distributions as an (n, k) array of log-probabilities, columns in ``labels`` order."""
    return np.log(np.clip(np.array([[d[label] for label in labels] for d in dists], dtype=np.float64), 1e-300, None))


def log_softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    top = logits.max(axis=1, keepdims=True)
    shifted = logits - top
    out: NDArray[np.float64] = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return out


def softmax(logits: ArrayLike) -> NDArray[np.float64]:
    return np.exp(log_softmax(np.asarray(logits, dtype=np.float64)))


def nll(scores: ArrayLike, labels: ArrayLike, temperature: float = 1.0, bias: ArrayLike | None = None) -> float:
    """Mean negative log-likelihood of ``labels`` under softmax(scores / T + bias)."""
    z = _as_scores(scores) / temperature
    if bias is not None:
        z = z + np.asarray(bias, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    return float(-log_softmax(z)[np.arange(len(y)), y].mean())


def golden_min(f: Callable[[float], float], lo: float, hi: float, tol: float = 1e-6, max_iter: int = 200) -> float:
    """Minimizer of a unimodal ``f`` on [lo, hi] by golden-section search."""
    a, b = lo, hi
    c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(max_iter):
        if b - a < tol:
            break
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - GOLDEN * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + GOLDEN * (b - a)
            fd = f(d)
    return (a + b) / 2


def fit_temperature(
    scores: ArrayLike, labels: ArrayLike, *, bias: ArrayLike | None = None, lo: float = 0.02, hi: float = 50.0
) -> float:
    """The temperature T minimizing held-out NLL of softmax(scores / T + bias).

    The NLL is convex in the inverse temperature, so a golden-section search over 1/T finds the
    global minimum in [1/hi, 1/lo].
    """
    z = _as_scores(scores)
    y = np.asarray(labels, dtype=np.int64)
    inv = golden_min(lambda b: nll(z, y, 1.0 / b, bias), 1.0 / hi, 1.0 / lo)
    return 1.0 / inv


def fit_bias(scores: ArrayLike, labels: ArrayLike, temperature: float = 1.0, steps: int = 50) -> NDArray[np.float64]:
    """Per-label offsets b minimizing NLL of softmax(scores / T + b) (a label-prior correction).

    Convex in b; Newton's method with the softmax Hessian, b[0] pinned to 0 for identifiability.
    """
    z = _as_scores(scores) / temperature
    y = np.asarray(labels, dtype=np.int64)
    n, k = z.shape
    onehot = np.eye(k)[y]
    b = np.zeros(k)
    for _ in range(steps):
        p = softmax(z + b)
        grad = (p - onehot).mean(axis=0)[1:]
        hess = (np.diag(p.mean(axis=0)) - p.T @ p / n)[1:, 1:] + 1e-9 * np.eye(k - 1)
        step = np.linalg.solve(hess, grad)
        b[1:] -= step
        if np.abs(step).max() < 1e-9:
            break
    return b


@dataclass(frozen=True)
class Calibration:
    """softmax(log-scores / temperature + bias): fitted on held-out labeled items, applied to new ones."""

    temperature: float = 1.0
    bias: tuple[float, ...] | None = None

    def apply(self, scores: ArrayLike) -> NDArray[np.float64]:
        z = _as_scores(scores) / self.temperature
        if self.bias is not None:
            z = z + np.asarray(self.bias)
        return softmax(z)

    def apply_dicts(self, dists: Sequence[dict[str, float]], labels: Sequence[str]) -> list[dict[str, float]]:
        probs = self.apply(log_scores(dists, labels))
        return [dict(zip(labels, row.tolist(), strict=True)) for row in probs]


def fit_calibration(scores: ArrayLike, labels: ArrayLike, *, bias: bool = True) -> Calibration:
    """Temperature, then (optionally) label biases, fitted by alternating the two a few rounds."""
    z = _as_scores(scores)
    y = np.asarray(labels, dtype=np.int64)
    if not bias:
        return Calibration(fit_temperature(z, y))
    b = np.zeros(z.shape[1])
    temperature = 1.0
    for _ in range(8):
        temperature = fit_temperature(z, y, bias=b)
        b = fit_bias(z, y, temperature)
    return Calibration(temperature, tuple(float(v) for v in b))


def expected_calibration_error(probs: ArrayLike, labels: ArrayLike, n_bins: int = 15) -> float:
    """ECE: the |accuracy - confidence| gap of the top label, averaged over equal-width confidence bins."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    ece = 0.0
    for i in range(n_bins):
        mask = bins == i
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)
