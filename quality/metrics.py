"""Agreement and quality figures as a pure engine (no Django import): Cohen's kappa, Fleiss' kappa,
Krippendorff's alpha, gold matching, handling-time histograms and the adaptive-overlap rule.

Every agreement figure is computed from *counts that can be maintained incrementally* (the rollups
in ``quality.models`` store exactly these), so the same code serves the worked-example tests, the
dashboard and the workers:

- Cohen's kappa from a confusion table ``{(mine, theirs): n}``;
- Fleiss' kappa from ``FleissCounts`` (units, sum  P_i, category totals), to which one unit's ratings
  contribute ``fleiss_unit(values)``; with a constant number of raters per unit this is Fleiss
  (1971) exactly, and with varying numbers it is the usual generalisation (P_i per unit);
- Krippendorff's alpha from the coincidence matrix ``{(c, k): o_ck}``, to which one unit contributes
  ``coincidences(values)``; nominal and interval differences are supported.

A unit's contribution depends on all of its values, so a unit that gains a value is updated by
subtracting its old contribution and adding its new one (``FleissCounts.add(..., sign=-1)``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Pair = tuple[str, str]

# --- Cohen's kappa ------------------------------------------------------------------------------------


def cohen_kappa(table: Mapping[Pair, float]) -> float | None:
    """Cohen's kappa of two raters from a confusion table ``{(rater A's label, rater B's label): n}``.

    None when the table is empty or chance agreement is total (both raters always used one and the
    same label: kappa is undefined there).
    """
    n = float(sum(table.values()))
    if n <= 0:
        return None
    rows: Counter[str] = Counter()
    cols: Counter[str] = Counter()
    agree = 0.0
    for (a, b), count in table.items():
        rows[a] += count  # type: ignore[assignment]
        cols[b] += count  # type: ignore[assignment]
        if a == b:
            agree += count
    p_o = agree / n
    p_e = sum(rows[c] * cols[c] for c in rows) / (n * n)
    if math.isclose(p_e, 1.0):
        return None
    return (p_o - p_e) / (1 - p_e)


def cohen_from_pairs(pairs: Iterable[Pair]) -> float | None:
    return cohen_kappa(Counter(pairs))


# --- Fleiss' kappa ------------------------------------------------------------------------------------


@dataclass
class FleissCounts:
    """Sufficient statistics of Fleiss' kappa: units rated at least twice, sum  P_i, category totals."""

    units: float = 0.0
    sum_p: float = 0.0
    totals: dict[str, float] = field(default_factory=dict)

    def add(self, values: Sequence[str], sign: int = 1) -> None:
        """Add (sign=1) or remove (sign=-1) one unit's ratings."""
        contrib = fleiss_unit(values)
        if contrib is None:
            return
        p_i, counts = contrib
        self.units += sign
        self.sum_p += sign * p_i
        for c, k in counts.items():
            total = self.totals.get(c, 0.0) + sign * k
            if abs(total) < 1e-9:
                self.totals.pop(c, None)
            else:
                self.totals[c] = total

    def kappa(self) -> float | None:
        return fleiss_kappa_from(self.units, self.sum_p, self.totals)


def fleiss_unit(values: Sequence[str]) -> tuple[float, Counter[str]] | None:
    """One unit's P_i (share of agreeing rater pairs) and its category counts; None under 2 raters."""
    n = len(values)
    if n < 2:
        return None
    counts = Counter(values)
    p_i = sum(k * (k - 1) for k in counts.values()) / (n * (n - 1))
    return p_i, counts


def fleiss_kappa_from(units: float, sum_p: float, totals: Mapping[str, float]) -> float | None:
    grand = sum(totals.values())
    if units <= 0 or grand <= 0:
        return None
    p_bar = sum_p / units
    p_e = sum((t / grand) ** 2 for t in totals.values())
    if math.isclose(p_e, 1.0):
        return None
    return (p_bar - p_e) / (1 - p_e)


def fleiss_kappa(table: Sequence[Sequence[int]], categories: Sequence[str] | None = None) -> float | None:
    """Fleiss' kappa from a subjects x categories count table (each row: raters per category)."""
    names = list(categories) if categories is not None else [str(j) for j in range(len(table[0]))]
    counts = FleissCounts()
    for row in table:
        counts.add([names[j] for j, k in enumerate(row) for _ in range(k)])
    return counts.kappa()


# --- Krippendorff's alpha --------------------------------------------------------------------------


def coincidences(values: Sequence[str]) -> dict[Pair, float]:
    """One unit's contribution to the coincidence matrix: every ordered pair of its values from
    different coders, weighted 1 / (m_u - 1). Units with fewer than two values are not pairable."""
    m = len(values)
    if m < 2:
        return {}
    weight = 1.0 / (m - 1)
    out: dict[Pair, float] = {}
    counts = Counter(values)
    for c, nc in counts.items():
        for k, nk in counts.items():
            pairs = nc * (nc - 1) if c == k else nc * nk
            if pairs:
                out[(c, k)] = pairs * weight
    return out


def add_coincidences(matrix: dict[Pair, float], values: Sequence[str], sign: int = 1) -> None:
    for key, w in coincidences(values).items():
        total = matrix.get(key, 0.0) + sign * w
        if abs(total) < 1e-9:
            matrix.pop(key, None)
        else:
            matrix[key] = total


def nominal_delta(c: Any, k: Any) -> float:
    return 0.0 if c == k else 1.0


def interval_delta(c: Any, k: Any) -> float:
    return (float(c) - float(k)) ** 2


def krippendorff_alpha(
    matrix: Mapping[Pair, float],
    delta: Callable[[Any, Any], float] = nominal_delta,
    value_of: Mapping[str, float] | None = None,
) -> float | None:
    """Krippendorff's alpha = 1 - D_o / D_e from a coincidence matrix. ``delta`` is the squared
    difference function (nominal or interval); ``value_of`` maps category names to numbers for
    interval data (e.g. a label's position in an ordinal scale). None without variation."""
    n_c: Counter[str] = Counter()
    for (c, _k), w in matrix.items():
        n_c[c] += w  # type: ignore[assignment]
    n = float(sum(n_c.values()))
    if n <= 1:
        return None

    def d(c: str, k: str) -> float:
        if value_of is not None:
            return delta(value_of[c], value_of[k])
        return delta(c, k)

    observed = sum(w * d(c, k) for (c, k), w in matrix.items())
    expected = sum(n_c[c] * n_c[k] * d(c, k) for c in n_c for k in n_c)
    if expected <= 0:
        return None
    return 1.0 - (n - 1) * observed / expected


def alpha_from_units(
    units: Iterable[Sequence[str]],
    delta: Callable[[Any, Any], float] = nominal_delta,
    value_of: Mapping[str, float] | None = None,
) -> float | None:
    matrix: dict[Pair, float] = {}
    for values in units:
        add_coincidences(matrix, values)
    return krippendorff_alpha(matrix, delta, value_of)


# --- JSON form of the count tables (rollup storage) ------------------------------------------------

SEP = "|"  # never in a label value (annotation.schema allows letters, digits, _ . : -)


def pack(table: Mapping[Pair, float]) -> dict[str, float]:
    return {f"{a}{SEP}{b}": v for (a, b), v in table.items()}


def unpack(raw: Mapping[str, float]) -> dict[Pair, float]:
    out: dict[Pair, float] = {}
    for key, v in raw.items():
        a, _, b = key.partition(SEP)
        out[(a, b)] = float(v)
    return out


def merge(into: dict[str, float], other: Mapping[str, float], sign: int = 1) -> dict[str, float]:
    for key, v in other.items():
        total = into.get(key, 0.0) + sign * float(v)
        if abs(total) < 1e-9:
            into.pop(key, None)
        else:
            into[key] = total
    return into


# --- what an annotation "says" for agreement ------------------------------------------------------------


def overall_value(labels: Sequence[str]) -> str | None:
    """The nominal value of an annotation: its label, or its sorted label set joined by '+'."""
    if not labels:
        return None
    return "+".join(sorted(labels))


def dimensions(labels: Sequence[str], label_values: Sequence[str]) -> dict[str, str]:
    """The values an annotation contributes per dimension: ``""`` (the whole answer) and
    ``"label:X"`` (X chosen or not, "1"/"0") for every label of the schema."""
    out: dict[str, str] = {}
    value = overall_value(labels)
    if value is None:
        return out
    out[""] = value
    chosen = set(labels)
    for label in label_values:
        out[f"label:{label}"] = "1" if label in chosen else "0"
    return out


# --- gold ---------------------------------------------------------------------------------------------------


def reference_labels(reference: Any) -> set[str] | None:
    """The known answer's labels from an item's ``reference`` (a label, a list, or {"labels": ...})."""
    if reference is None:
        return None
    if isinstance(reference, str):
        return {reference}
    if isinstance(reference, list) and all(isinstance(v, str) for v in reference):
        return set(reference)
    if isinstance(reference, dict) and "labels" in reference:
        return reference_labels(reference["labels"])
    return None


def reference_spans(reference: Any) -> set[tuple[int, int, str]] | None:
    if isinstance(reference, dict) and isinstance(reference.get("spans"), list):
        try:
            return {(int(s["start"]), int(s["end"]), str(s["label"])) for s in reference["spans"]}
        except (KeyError, TypeError, ValueError):
            return None
    return None


def gold_match(reference: Any, labels: Sequence[str], spans: Sequence[Mapping[str, Any]] = ()) -> bool:
    """True when an answer equals the gold reference (labels as a set; spans exactly, if given)."""
    want_spans = reference_spans(reference)
    if want_spans is not None:
        got = {(int(s["start"]), int(s["end"]), str(s["label"])) for s in spans}
        if got != want_spans:
            return False
        want = reference_labels(reference) if isinstance(reference, dict) and "labels" in reference else None
        return want is None or set(labels) == want
    want = reference_labels(reference)
    return want is not None and set(labels) == want


# --- handling-time histogram (for medians from rollups) --------------------------------------------------

# Bucket 0 holds [0, 500) ms; bucket b ≥ 1 holds [500·1.2^(b-1), 500·1.2^b); the last is open-ended.
# A median read from it is within ±10 % of the true one (the bucket's geometric midpoint).
HIST_BASE_MS = 500.0
HIST_RATIO = 1.2
HIST_BUCKETS = 48  # the last bucket starts near 2.4 hours


def hist_bucket(ms: int) -> int:
    if ms < HIST_BASE_MS:
        return 0
    b = int(math.log(ms / HIST_BASE_MS, HIST_RATIO)) + 1
    return min(b, HIST_BUCKETS - 1)


def hist_quantile(hist: Sequence[int], q: float = 0.5) -> float | None:
    """The q-quantile (ms) of a bucket histogram: the geometric midpoint of the bucket holding it."""
    total = sum(hist)
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for b, count in enumerate(hist):
        seen += count
        if seen >= rank and count:
            if b == 0:
                return HIST_BASE_MS / 2
            lo = HIST_BASE_MS * HIST_RATIO ** (b - 1)
            return lo * math.sqrt(HIST_RATIO)
    return None


def hist_add(into: list[int], other: Sequence[int]) -> list[int]:
    if len(into) < len(other):
        into.extend([0] * (len(other) - len(into)))
    for i, v in enumerate(other):
        into[i] += int(v)
    return into


# --- adaptive overlap -----------------------------------------------------------------------------------------


def overlap_for(agreement: float | None, *, base: int, lo: int, hi: int, low: float = 0.667, high: float = 0.8) -> int:
    """How many annotators a unit needs given the agreement on its label: ``hi`` below ``low``
    (Krippendorff's threshold for tentative conclusions), ``lo`` at or above ``high`` (reliable),
    ``base`` in between or while nothing is known yet."""
    if agreement is None:
        return base
    if agreement < low:
        return max(hi, base)
    if agreement >= high:
        return min(lo, base)
    return base


def item_overlap(
    labels_seen: Iterable[str],
    agreement_by_label: Mapping[str, float | None],
    *,
    base: int,
    lo: int,
    hi: int,
    low: float = 0.667,
    high: float = 0.8,
) -> int:
    """An item's target overlap: the most any label already given to it asks for (the least
    reliable label decides); ``base`` before any label."""
    targets = [
        overlap_for(agreement_by_label.get(label), base=base, lo=lo, hi=hi, low=low, high=high) for label in labels_seen
    ]
    return max(targets) if targets else base


def share(part: float, whole: float) -> float | None:
    return part / whole if whole else None
