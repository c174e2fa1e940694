"""Agreement figures for QA and appeals: plain functions, no Django import."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places, or None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Overlap of two sets of policy codes; two empty sets agree fully."""
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters over (first, second) label pairs; None without pairs.

    1 is perfect agreement, 0 what chance alone would give. When both raters always use one and the
    same label, agreement is perfect and kappa is 1 by convention.
    """
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    if expected >= 1.0:
        return 1.0
    return round((observed - expected) / (1.0 - expected), 4)
