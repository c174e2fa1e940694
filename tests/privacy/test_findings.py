"""Overlap resolution: the higher score wins, then the longer span; disjoint findings all stay."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from privacy.engine import EntityType as T
from privacy.engine import Finding, detect, resolve_overlaps


def f(start: int, end: int, score: float, kind: T = T.PERSON) -> Finding:
    return Finding(kind, start, end, score, "test")


def test_higher_score_wins():
    assert resolve_overlaps([f(0, 10, 0.6), f(5, 8, 0.9, T.EMAIL)]) == [f(5, 8, 0.9, T.EMAIL)]


def test_longer_wins_on_equal_score():
    assert resolve_overlaps([f(2, 6, 0.8), f(0, 10, 0.8, T.ADDRESS)]) == [f(0, 10, 0.8, T.ADDRESS)]


def test_disjoint_findings_are_kept_sorted():
    assert resolve_overlaps([f(20, 25, 0.5), f(0, 5, 0.9), f(5, 10, 0.7)]) == [
        f(0, 5, 0.9),
        f(5, 10, 0.7),
        f(20, 25, 0.5),
    ]


def test_threshold_and_empty_spans_dropped():
    assert resolve_overlaps([f(0, 5, 0.3), f(6, 6, 0.9)], min_score=0.5) == []


def test_address_beats_person_inside_it():
    text = "Deliver to Karl Johans gate 22 today."
    kinds = [(x.type, text[x.start : x.end]) for x in detect(text)]
    assert kinds == [(T.ADDRESS, "Karl Johans gate 22")]


def test_email_beats_name_and_handle_inside_it():
    text = "write to Jane.Doe@example.com"
    assert [(x.type, text[x.start : x.end]) for x in detect(text)] == [(T.EMAIL, "Jane.Doe@example.com")]


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 20), st.floats(0, 1)), max_size=30))
def test_resolution_never_overlaps_and_only_drops_overlapping(items):
    findings = [f(s, s + n, score) for s, n, score in items]
    kept = resolve_overlaps(findings)
    for a, b in pairwise(kept):
        assert a.end <= b.start
    for x in findings:
        if x not in kept:
            assert any(k.start < x.end and x.start < k.end for k in kept)
