"""The Finding record every detector emits, the entity types, and overlap resolution."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from enum import StrEnum
from itertools import pairwise
from typing import NamedTuple


class EntityType(StrEnum):
    """Kinds of personal or secret data the engine finds; the value is the placeholder name."""

    PERSON = "PERSON"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CARD = "CARD"
    IBAN = "IBAN"
    IP = "IP"
    ADDRESS = "ADDRESS"
    SSN = "SSN"
    NATIONAL_ID = "NATIONAL_ID"
    DOB = "DOB"
    USERNAME = "USERNAME"
    URL = "URL"
    GPS = "GPS"
    SECRET = "SECRET"  # noqa: S105 - a type name, not a password


class Finding(NamedTuple):
    """One detected span: ``text[start:end]`` is of ``type``, found by ``detector`` with ``score``.

    A ``fallback`` finding only fills a gap: overlap resolution weighs it after every other finding, so
    it never displaces one (a second value a validator read in a candidate run, see
    ``detectors.base.disjoint_from_best``).

    Immutable; a named tuple rather than a frozen dataclass because detectors create many and a tuple is
    built several times faster.
    """

    type: EntityType
    start: int
    end: int
    score: float
    detector: str
    fallback: bool = False

    @property
    def length(self) -> int:
        return self.end - self.start


def _start(f: Finding) -> int:
    return f.start


def _rank(f: Finding) -> tuple[bool, float, int, int]:
    return f.fallback, -f.score, f.start - f.end, f.start


def resolve_overlaps(findings: Iterable[Finding], *, min_score: float = 0.0) -> list[Finding]:
    """Keep a set of non-overlapping findings, sorted by start.

    Candidates are taken best first (higher score, then longer span, then earlier start; fallback findings
    after all others); one is kept unless it overlaps a finding already kept. Findings below ``min_score``
    are dropped first.
    """
    eligible = [f for f in findings if f.score >= min_score and f.end > f.start]
    if len(eligible) < 2:
        return eligible  # nothing to rank (the common case: most texts hold one finding or none)
    if len(eligible) == 2:
        a, b = eligible
        if a.end <= b.start:
            return eligible
        if b.end <= a.start:
            return [b, a]
        return [a] if _rank(a) <= _rank(b) else [b]  # overlapping: the better one (the first on a tie)
    by_start = sorted(eligible, key=_start)
    if all(a.end <= b.start for a, b in pairwise(by_start)):
        return by_start  # pairwise disjoint: every one is kept
    ranked = sorted(eligible, key=_rank)
    starts: list[int] = []
    ends: list[int] = []
    kept: list[Finding] = []
    for f in ranked:
        i = bisect.bisect_right(starts, f.start)
        # Kept spans are disjoint and sorted, so only the neighbours on either side can overlap.
        if i > 0 and ends[i - 1] > f.start:
            continue
        if i < len(starts) and starts[i] < f.end:
            continue
        starts.insert(i, f.start)
        ends.insert(i, f.end)
        kept.insert(i, f)
    return kept
