"""Label resolution: majority, quality-weighted majority and Dawid-Skene on worked examples."""

from __future__ import annotations

import math

import pytest

from training_export.resolution import (
    annotator_weights,
    dawid_skene,
    default_weight,
    plurality,
    resolve_multi,
    resolve_single,
    resolve_spans,
)


def test_majority_counts_votes_and_reports_agreement():
    r = resolve_single([("a", "spam"), ("b", "ham"), ("c", "spam")])
    assert r.labels == ("spam",)
    assert r.agreement == pytest.approx(2 / 3)
    assert r.confidence == pytest.approx(2 / 3)


def test_majority_tie_goes_to_schema_order_not_answer_order():
    order = {"ham": 0, "spam": 1}
    assert resolve_single([("a", "spam"), ("b", "ham")], order=order).labels == ("ham",)
    assert resolve_single([("b", "ham"), ("a", "spam")], order=order).labels == ("ham",)
    # without an order: alphabetical
    assert resolve_single([("a", "spam"), ("b", "ham")]).labels == ("ham",)


def test_weighted_vote_lets_one_expert_outvote_two_novices():
    # Hand computed: expert weight 3.0 vs 1.0 + 1.0 for the novices.
    weights = {"expert": 3.0, "n1": 1.0, "n2": 1.0}
    r = resolve_single([("expert", "billing"), ("n1", "other"), ("n2", "other")], weights=weights)
    assert r.labels == ("billing",)
    assert r.confidence == pytest.approx(3 / 5)
    assert r.agreement == pytest.approx(1 / 3)  # agreement stays the unweighted share


def test_all_zero_weights_fall_back_to_plain_majority():
    r = resolve_single([("a", "x"), ("b", "y"), ("c", "y")], weights={"a": 0.0, "b": 0.0, "c": 0.0})
    assert r.labels == ("y",)


def test_annotator_weights_are_smoothed_log_odds():
    w = annotator_weights({"good": (10, 10), "coin": (0, 4), "half": (1, 4)}, n_classes=4)
    # good: p = 13/14 -> log(3 * 13) ; coin: p = 3/8 -> log(3 * 3/5) ; half: p = 4/8 -> log(3)
    assert w["good"] == pytest.approx(math.log(39))
    assert w["coin"] == pytest.approx(math.log(9 / 5))
    assert w["half"] == pytest.approx(math.log(3))
    assert default_weight(n_classes=4) == pytest.approx(math.log(9))
    # worse than chance weighs nothing
    assert annotator_weights({"bad": (0, 100)}, n_classes=2)["bad"] == 0.0


def test_multi_label_keeps_labels_chosen_by_more_than_half():
    r = resolve_multi([("a", ["x", "y"]), ("b", ["x"]), ("c", ["x", "z"])], order={"x": 0, "y": 1, "z": 2})
    assert r.labels == ("x",)
    assert r.agreement == pytest.approx(1 / 3)


def test_spans_need_a_strict_majority_of_annotators():
    a = [(0, 4, "PER"), (10, 15, "LOC")]
    b = [(0, 4, "PER")]
    c = [(0, 4, "PER"), (10, 15, "ORG")]
    r = resolve_spans([a, b, c])
    assert r.spans == ((0, 4, "PER"),)
    assert r.agreement == pytest.approx(1 / 3)


def _flipper_data(n: int = 300):
    """Annotator 0 is right 80% of the time, annotator 1 70% (seeded), annotator 2 always answers
    the other class. Majority errs wherever 0 or 1 errs; Dawid-Skene learns that 2's answers are
    inverted and so reads the truth off them."""
    import random

    rng = random.Random(7)
    items, workers, labels, truth = [], [], [], []
    for i in range(n):
        t = rng.randrange(2)
        truth.append(t)
        answers = (t if rng.random() < 0.8 else 1 - t, t if rng.random() < 0.7 else 1 - t, 1 - t)
        for w, answer in enumerate(answers):
            items.append(i)
            workers.append(w)
            labels.append(answer)
    return items, workers, labels, truth


def test_dawid_skene_learns_an_inverted_annotator_where_majority_fails():
    items, workers, labels, truth = _flipper_data()
    majority = [
        resolve_single([(w, str(lab)) for it, w, lab in zip(items, workers, labels, strict=True) if it == i]).labels[0]
        for i in range(len(truth))
    ]
    majority_right = sum(int(m) == t for m, t in zip(majority, truth, strict=True))
    assert majority_right < 0.7 * len(truth)
    result = dawid_skene(items, workers, labels, n_items=len(truth), n_workers=3, n_classes=2)
    assert list(result.posterior.argmax(axis=1)) == truth
    # Annotator 2's confusion matrix is the anti-diagonal; annotator 0's diagonal is about 0.8.
    assert result.confusion[2, 0, 1] > 0.95 and result.confusion[2, 1, 0] > 0.95
    assert result.confusion[0, 0, 0] == pytest.approx(0.8, abs=0.08)
    assert result.confusion[0, 1, 1] == pytest.approx(0.8, abs=0.08)


def test_dawid_skene_agrees_with_majority_for_symmetric_honest_annotators():
    # Three annotators, each wrong on a different item: the majority is right everywhere.
    truth = [0, 1, 2, 0, 1, 2]
    items, workers, labels = [], [], []
    for i, t in enumerate(truth):
        for w in range(3):
            items.append(i)
            workers.append(w)
            labels.append((t + 1) % 3 if i % 3 == w else t)
    result = dawid_skene(items, workers, labels, n_items=6, n_workers=3, n_classes=3)
    assert list(result.posterior.argmax(axis=1)) == truth


def test_dawid_skene_leaves_unanswered_items_at_the_priors():
    result = dawid_skene([0, 0], [0, 1], [1, 1], n_items=2, n_workers=2, n_classes=2)
    assert result.posterior[0].argmax() == 1
    assert result.posterior[1] == pytest.approx(result.priors)


def test_plurality_picks_the_same_winner_as_resolve_single():
    import itertools

    order = {"a": 0, "b": 1, "c": 2, "d": 3}
    for n in range(1, 5):
        for votes in itertools.product("abcd", repeat=n):
            r = resolve_single([(i, v) for i, v in enumerate(votes)], order=order)
            assert plurality(list(votes), order) == (r.labels[0], round(r.agreement * n)), votes
