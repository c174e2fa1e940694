"""A whole fine-tune without Django: train on records, write the GGUF, quantize for serving, evaluate.

``finetune()`` is what a Celery task, ``manage.py finetune`` and ``bench finetune`` all run; the
Django side (registration, promotion) lives in ``service.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference.runtime.prompting import TaskSpec

from .data import Record, records_sha256
from .evaluation import compare, metrics, score
from .trainer import FineTuneConfig, ProgressFn, Trainer


@dataclass
class FineTuneResult:
    """What a run produced: the full-precision file, the serving copy, and the numbers."""

    master_path: Path
    serving_path: Path
    master_type: str
    serving_quant: str
    train: dict[str, Any]
    config: dict[str, Any]
    data_sha256: str
    seconds: dict[str, float] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        return {"train": self.train, "seconds": self.seconds, **self.evaluation}


def finetune(
    *,
    base_gguf: Path,
    spec: TaskSpec,
    records: Sequence[Record],
    out_dir: Path,
    name: str,
    config: FineTuneConfig | None = None,
    workdir: Path | None = None,
    master_type: str = "F16",
    serving_quant: str = "Q4_0",
    lineage: dict[str, Any] | None = None,
    on_progress: ProgressFn | None = None,
    should_cancel: Callable[[], bool] | None = None,
    device: str = "cpu",
) -> FineTuneResult:
    """Fine-tune ``base_gguf`` on ``records`` and write ``<name>.<master_type>.gguf`` and the serving copy."""
    from inference.runtime.quantize import quantize

    from .gguf_writer import write_gguf

    config = config or FineTuneConfig()
    out_dir.mkdir(parents=True, exist_ok=True)
    workdir = workdir or out_dir / f"{name}.work"
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    trainer = Trainer(
        model_path=base_gguf,
        spec=spec,
        records=records,
        config=config,
        workdir=workdir,
        on_progress=on_progress,
        should_cancel=should_cancel,
        device=device,
    )
    model = trainer.run()
    seconds["train"] = round(time.perf_counter() - t0, 2)
    t1 = time.perf_counter()
    master = out_dir / f"{name}.{master_type}.gguf"
    data_sha = records_sha256(records)
    kv = {"quorum.lineage": json.dumps({"data_sha256": data_sha, "config": config.as_dict(), **(lineage or {})})}
    write_gguf(base=base_gguf, state=model.state_dict(), out=master, out_type=master_type, name=name, extra_kv=kv)
    del model, trainer.model, trainer.core
    seconds["write_gguf"] = round(time.perf_counter() - t1, 2)
    t2 = time.perf_counter()
    serving = master
    if serving_quant != master_type:
        serving = out_dir / f"{name}.{serving_quant}.gguf"
        part = serving.with_name(serving.name + ".part")
        quantize(master, part, serving_quant)
        part.replace(serving)
    seconds["quantize"] = round(time.perf_counter() - t2, 2)
    seconds["total"] = round(time.perf_counter() - t0, 2)
    # the checkpoint served its purpose once the weights are written
    (workdir / "checkpoint.pt").unlink(missing_ok=True)
    if workdir.is_dir() and not any(workdir.iterdir()):
        workdir.rmdir()
    return FineTuneResult(
        master_path=master,
        serving_path=serving,
        master_type=master_type,
        serving_quant=serving_quant,
        train=trainer.stats.as_dict(),
        config=config.as_dict(),
        data_sha256=data_sha,
        seconds=seconds,
    )


def evaluate_against_parent(
    *,
    child: Path,
    parent: Path,
    spec: TaskSpec,
    test: Sequence[Record],
    max_item_tokens: int = 384,
) -> dict[str, Any]:
    """Metrics of the child and the parent serving files on the same test records, and their difference."""
    labels = list(spec.labels)
    texts = [r.text for r in test]
    truth = [r.label for r in test]
    t0 = time.perf_counter()
    mine = metrics(
        labels,
        truth,
        score(child, instruction=spec.instruction, labels=labels, texts=texts, max_item_tokens=max_item_tokens),
    )
    theirs = metrics(
        labels,
        truth,
        score(parent, instruction=spec.instruction, labels=labels, texts=texts, max_item_tokens=max_item_tokens),
    )
    return {
        "test": mine,
        "parent_test": theirs,
        "delta": compare(mine, theirs),
        "test_sha256": records_sha256(test),
        "eval_seconds": round(time.perf_counter() - t0, 2),
    }
