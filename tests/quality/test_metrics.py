"""The metric engine against published worked examples, and incremental == batch."""

from __future__ import annotations

import random

import pytest

from quality import metrics

# Fleiss (1971) as worked on Wikipedia ("Fleiss' kappa", worked example): 10 subjects, 14 raters,
# 5 categories; P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
# 12 units, values 1-5, missing data (None). Published: nominal 0.743, interval 0.849.
KRIPP = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def kripp_units() -> list[list[str]]:
    return [[str(v) for v in col if v is not None] for col in zip(*KRIPP.values(), strict=True)]


def test_cohen_kappa_wikipedia_example() -> None:
    # Wikipedia "Cohen's kappa": 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> 0.4.
    table = {("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}
    assert metrics.cohen_kappa(table) == pytest.approx(0.4)
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert metrics.cohen_from_pairs(pairs) == pytest.approx(0.4)


def test_cohen_kappa_edges() -> None:
    assert metrics.cohen_kappa({}) is None
    assert metrics.cohen_kappa({("a", "a"): 5}) is None  # chance agreement is total: undefined
    assert metrics.cohen_kappa({("a", "a"): 5, ("b", "b"): 5}) == pytest.approx(1.0)
    assert metrics.cohen_kappa({("a", "b"): 5, ("b", "a"): 5}) == pytest.approx(-1.0)


def test_fleiss_kappa_wikipedia_example() -> None:
    assert metrics.fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.2099, abs=1e-4)
    assert round(metrics.fleiss_kappa(FLEISS_TABLE) or 0, 3) == 0.210


def test_krippendorff_alpha_published_example() -> None:
    units = kripp_units()
    assert round(metrics.alpha_from_units(units) or 0, 3) == 0.743
    assert round(metrics.alpha_from_units(units, metrics.interval_delta) or 0, 3) == 0.849


def test_interval_alpha_from_ordinal_labels() -> None:
    # The same data as label names on an ordered scale: position in the scale is the value.
    names = {"1": "none", "2": "low", "3": "mid", "4": "high", "5": "max"}
    units = [[names[v] for v in unit] for unit in kripp_units()]
    order = {name: float(k) for k, name in names.items()}
    matrix: dict[metrics.Pair, float] = {}
    for unit in units:
        metrics.add_coincidences(matrix, unit)
    assert round(metrics.krippendorff_alpha(matrix, metrics.interval_delta, order) or 0, 3) == 0.849
    assert round(metrics.krippendorff_alpha(matrix) or 0, 3) == 0.743


def test_alpha_of_two_coders_without_missing_values_is_close_to_scotts_pi() -> None:
    # Krippendorff (2011) section A: 2 observers, 10 units, binary; published alpha = 0.095.
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert round(metrics.alpha_from_units([[str(x), str(y)] for x, y in zip(a, b, strict=True)]) or 0, 3) == 0.095


def test_incremental_counts_equal_batch_with_units_growing_and_shrinking() -> None:
    rng = random.Random(7)
    cats = ["a", "b", "c"]
    units: list[list[str]] = [[] for _ in range(40)]
    fleiss = metrics.FleissCounts()
    matrix: dict[metrics.Pair, float] = {}
    for _ in range(300):
        u = rng.randrange(len(units))
        old = list(units[u])
        if old and rng.random() < 0.2:
            units[u].pop(rng.randrange(len(old)))  # an undo
        else:
            units[u].append(rng.choice(cats))
        fleiss.add(old, -1)
        fleiss.add(units[u], 1)
        metrics.add_coincidences(matrix, old, -1)
        metrics.add_coincidences(matrix, units[u], 1)
    batch = metrics.FleissCounts()
    for unit in units:
        batch.add(unit)
    assert fleiss.kappa() == pytest.approx(batch.kappa())
    assert metrics.krippendorff_alpha(matrix) == pytest.approx(metrics.alpha_from_units(units))
    # Stored as JSON and read back, nothing changes.
    assert metrics.krippendorff_alpha(metrics.unpack(metrics.pack(matrix))) == pytest.approx(
        metrics.alpha_from_units(units)
    )


def test_gold_match() -> None:
    assert metrics.gold_match("billing", ["billing"])
    assert metrics.gold_match(["a", "b"], ["b", "a"])
    assert metrics.gold_match({"labels": ["a"]}, ["a"])
    assert not metrics.gold_match({"labels": ["a"]}, ["b"])
    assert not metrics.gold_match(None, ["a"])
    spans = [{"start": 0, "end": 4, "label": "PER"}]
    assert metrics.gold_match({"spans": spans}, [], spans)
    assert not metrics.gold_match({"spans": spans}, [], [{"start": 0, "end": 5, "label": "PER"}])


def test_histogram_median_within_ten_percent() -> None:
    rng = random.Random(3)
    values = [int(rng.lognormvariate(9, 0.6)) for _ in range(2001)]
    hist = [0] * metrics.HIST_BUCKETS
    for v in values:
        hist[metrics.hist_bucket(v)] += 1
    true_median = sorted(values)[1000]
    assert metrics.hist_quantile(hist) == pytest.approx(true_median, rel=0.1)
    assert metrics.hist_quantile([]) is None


def test_adaptive_overlap_rule() -> None:
    assert metrics.overlap_for(None, base=3, lo=2, hi=5) == 3
    assert metrics.overlap_for(0.4, base=3, lo=2, hi=5) == 5  # low agreement: more annotators
    assert metrics.overlap_for(0.9, base=3, lo=2, hi=5) == 2  # high agreement: fewer
    assert metrics.overlap_for(0.7, base=3, lo=2, hi=5) == 3
    # The least reliable label an item was given decides.
    assert metrics.item_overlap(["spam", "ham"], {"spam": 0.9, "ham": 0.3}, base=3, lo=2, hi=5) == 5
    assert metrics.item_overlap(["spam"], {"spam": 0.9, "ham": 0.3}, base=3, lo=2, hi=5) == 2
    assert metrics.item_overlap([], {}, base=3, lo=2, hi=5) == 3


def test_engine_has_no_django_import() -> None:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(metrics.__file__).read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith("django")]
