"""Label resolution from several human answers: majority, quality-weighted majority, Dawid-Skene.

A pure engine (no Django). An answer is what one annotator gave for one item: a tuple of labels
(single-label kinds: exactly one) or a set of spans. ``agreement`` is always the share of the
item's annotators whose answer equals the resolved one (unweighted), so it reads the same whatever
the strategy; ``confidence`` is the strategy's own figure (weighted vote share, posterior).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Span = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Resolved:
    labels: tuple[str, ...]
    agreement: float
    confidence: float


@dataclass(frozen=True, slots=True)
class ResolvedSpans:
    spans: tuple[Span, ...]
    agreement: float


def _label_rank(label: str, order: Mapping[str, int] | None) -> tuple[int, str]:
    return (order.get(label, 1 << 30) if order is not None else 0, label)


def resolve_single(
    answers: Sequence[tuple[Hashable, str]],
    *,
    weights: Mapping[Hashable, float] | None = None,
    order: Mapping[str, int] | None = None,
) -> Resolved:
    """One label from (annotator, label) answers. Ties go to the label first in ``order`` (the
    schema's order), then alphabetically, so the result never depends on answer order."""
    if not answers:
        raise ValueError("no answers")
    score: dict[str, float] = {}
    count: dict[str, int] = {}
    for worker, label in answers:
        w = 1.0 if weights is None else weights.get(worker, 1.0)
        score[label] = score.get(label, 0.0) + w
        count[label] = count.get(label, 0) + 1
    total = sum(score.values())
    if total <= 0:  # every annotator weighs nothing: fall back to one vote each
        score = {label: float(n) for label, n in count.items()}
        total = float(len(answers))
    best = min(score, key=lambda lab: (-score[lab], _label_rank(lab, order)))
    return Resolved((best,), count[best] / len(answers), score[best] / total)


def plurality(votes: Sequence[str], order: Mapping[str, int]) -> tuple[str, int]:
    """``(label, votes for it)`` for one vote per annotator: the same winner as ``resolve_single``
    without weights, cheaper (the export's hot path). ``votes`` is not empty."""
    if len(votes) == 3:  # the common overlap: decided by comparisons alone unless all differ
        a, b, c = votes
        if a == b:
            return a, 3 if b == c else 2
        if a == c:
            return a, 2
        if b == c:
            return b, 2
    counts: dict[str, int] = {}
    for v in votes:
        counts[v] = counts.get(v, 0) + 1
    best_n = max(counts.values())
    tied = [label for label, n in counts.items() if n == best_n]
    if len(tied) == 1:
        return tied[0], best_n
    return min(tied, key=lambda lab: _label_rank(lab, order)), best_n


def resolve_multi(
    answers: Sequence[tuple[Hashable, Sequence[str]]],
    *,
    weights: Mapping[Hashable, float] | None = None,
    order: Mapping[str, int] | None = None,
) -> Resolved:
    """A label set: each label is kept when more than half of the (weighted) vote chose it."""
    if not answers:
        raise ValueError("no answers")
    ws = [1.0 if weights is None else weights.get(worker, 1.0) for worker, _ in answers]
    total = sum(ws)
    if total <= 0:
        ws, total = [1.0] * len(answers), float(len(answers))
    score: dict[str, float] = {}
    for (_, labels), w in zip(answers, ws, strict=True):
        for label in set(labels):
            score[label] = score.get(label, 0.0) + w
    chosen = tuple(sorted((lab for lab, s in score.items() if s > total / 2), key=lambda x: _label_rank(x, order)))
    agree = sum(1 for _, labels in answers if set(labels) == set(chosen))
    # Confidence: the mean margin of the decision per label seen, as a vote share.
    conf = (sum(max(s, total - s) for s in score.values()) / (total * len(score))) if score else 1.0
    return Resolved(chosen, agree / len(answers), conf)


def resolve_spans(answers: Sequence[Sequence[Span]]) -> ResolvedSpans:
    """Spans marked (same start, end and label) by more than half of the annotators."""
    if not answers:
        raise ValueError("no answers")
    votes: dict[Span, int] = {}
    for spans in answers:
        for span in set(spans):
            votes[span] = votes.get(span, 0) + 1
    chosen = tuple(sorted(s for s, n in votes.items() if n * 2 > len(answers)))
    chosen_set = set(chosen)
    agree = sum(1 for spans in answers if set(spans) == chosen_set)
    return ResolvedSpans(chosen, agree / len(answers))


def annotator_weights(
    stats: Mapping[Any, tuple[int, int]], *, n_classes: int, prior_correct: float = 3.0, prior_wrong: float = 1.0
) -> dict[Any, float]:
    """Weights from gold accuracy: ``stats[annotator] = (correct, answered)``.

    The accuracy is smoothed towards a prior (3 right, 1 wrong: 0.75) so two lucky gold answers do
    not make an oracle; the weight is the log-odds ``log((K-1)·p/(1-p))``, the optimal weight for
    independent annotators over K classes, floored at 0 (worse than chance counts for nothing).
    Annotators without gold history get the prior's weight: see ``default_weight``.
    """
    k = max(2, n_classes)
    out: dict[Any, float] = {}
    for worker, (correct, answered) in stats.items():
        p = (correct + prior_correct) / (answered + prior_correct + prior_wrong)
        out[worker] = _log_odds(p, k)
    return out


def default_weight(*, n_classes: int, prior_correct: float = 3.0, prior_wrong: float = 1.0) -> float:
    return _log_odds(prior_correct / (prior_correct + prior_wrong), max(2, n_classes))


def _log_odds(p: float, k: int) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return max(0.0, math.log((k - 1) * p / (1 - p)))


@dataclass
class DawidSkeneResult:
    posterior: NDArray[np.float64]  # (items, classes)
    priors: NDArray[np.float64]  # (classes,)
    confusion: NDArray[np.float64]  # (workers, true class, answered class)
    iterations: int


def dawid_skene(
    items: Any,
    workers: Any,
    labels: Any,
    *,
    n_items: int,
    n_workers: int,
    n_classes: int,
    max_iter: int = 100,
    tol: float = 1e-6,
    smoothing: float = 0.01,
) -> DawidSkeneResult:
    """Dawid & Skene (1979) EM: each annotator has a confusion matrix; the true class is latent.

    ``items``, ``workers`` and ``labels`` are parallel integer arrays, one entry per answer
    (0-based indices). Starts from the majority vote; memory is O(answers + items·classes).
    Items with no answers keep the class priors.
    """
    import numpy as np

    it = np.asarray(items, dtype=np.int64)
    wk = np.asarray(workers, dtype=np.int64)
    lb = np.asarray(labels, dtype=np.int64)
    k = n_classes
    # Initial posterior: the vote shares.
    post = np.zeros((n_items, k))
    np.add.at(post, (it, lb), 1.0)
    rows = post.sum(axis=1, keepdims=True)
    empty = rows[:, 0] == 0
    post = np.divide(post, rows, out=np.full_like(post, 1.0 / k), where=rows > 0)
    priors = np.full(k, 1.0 / k)
    confusion = np.full((n_workers, k, k), 1.0 / k)
    cell = wk * k + lb  # (worker, answered class) as one index
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        # M-step: class priors and each worker's confusion matrix from the current posterior.
        priors = post[~empty].mean(axis=0) if (~empty).any() else np.full(k, 1.0 / k)
        priors = np.maximum(priors, 1e-9)
        priors /= priors.sum()
        # (bincount per class rather than np.add.at: the same sums, an order of magnitude faster)
        counts = np.full((n_workers, k, k), smoothing)
        post_obs = post[it]
        for j in range(k):
            counts[:, j, :] += np.bincount(cell, weights=post_obs[:, j], minlength=n_workers * k).reshape(n_workers, k)
        confusion = counts / counts.sum(axis=2, keepdims=True)
        # E-step: log prior plus the log-likelihood of every answer, normalized per item.
        logp = np.tile(np.log(priors), (n_items, 1))
        log_conf = np.log(confusion)
        for j in range(k):
            logp[:, j] += np.bincount(it, weights=log_conf[wk, j, lb], minlength=n_items)
        logp -= logp.max(axis=1, keepdims=True)
        new = np.exp(logp)
        new /= new.sum(axis=1, keepdims=True)
        new[empty] = priors
        delta = float(np.abs(new - post).max()) if n_items else 0.0
        post = new
        if delta < tol:
            break
    return DawidSkeneResult(post, priors, confusion, iterations)
