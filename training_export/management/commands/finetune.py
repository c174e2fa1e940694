"""manage.py finetune: fine-tune a model version on a JSON-lines file and register the result by name."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference.models import ModelVersion
from inference.store import ModelIntegrityError
from training_export.finetune.data import DataError, read_jsonl, split_records
from training_export.finetune.trainer import FineTuneConfig


class Command(BaseCommand):
    help = (
        'Fine-tune the local model on labeled JSON lines ({"id", "text", "label"}) and register it as a staged '
        "model version NAME, usable with `manage.py classify --model NAME`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", required=True, type=Path, help="JSON lines: id, text, label")
        parser.add_argument("--labels", required=True, help="comma-separated labels, e.g. spam,ham")
        parser.add_argument("--instruction", required=True)
        parser.add_argument("--name", required=True, help="name of the new model version")
        parser.add_argument("--parent", help="model version to start from (default: the serving base model)")
        parser.add_argument("--test", type=Path, help="held-out JSON lines to evaluate child and parent on")
        parser.add_argument(
            "--test-share",
            type=float,
            default=0.1,
            help="without --test: share of --train held out for evaluation (0: no evaluation)",
        )
        parser.add_argument("--method", choices=["lora", "full"], default="lora")
        parser.add_argument("--epochs", type=int, default=FineTuneConfig.epochs)
        parser.add_argument("--max-steps", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=FineTuneConfig.batch_size)
        parser.add_argument("--lr", type=float, default=None, help="default: 2e-3 (LoRA), 5e-5 (full)")
        parser.add_argument("--lora-r", type=int, default=FineTuneConfig.lora_r)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--workdir", type=Path, default=None, help="checkpoints here; rerun to resume")
        parser.add_argument(
            "--promote-margin",
            type=float,
            default=None,
            help="activate the new version when its test accuracy beats the parent's by this much",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from training_export.finetune.service import finetune_version

        labels = [x.strip() for x in opts["labels"].split(",") if x.strip()]
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise CommandError("--labels needs at least two distinct labels")
        if ModelVersion.objects.filter(name=opts["name"]).exists():
            raise CommandError(f"a model version named {opts['name']!r} exists already")
        parent = None
        if opts["parent"]:
            parent = ModelVersion.objects.filter(name=opts["parent"]).first()
            if parent is None:
                raise CommandError(f"no model version {opts['parent']!r}")
        try:
            train = read_jsonl(opts["train"], labels)
            if opts["test"]:
                test = read_jsonl(opts["test"], labels)
            else:
                train, test = split_records(train, opts["test_share"], opts["seed"])
            config = FineTuneConfig(
                method=opts["method"],
                epochs=opts["epochs"],
                max_steps=opts["max_steps"],
                batch_size=opts["batch_size"],
                learning_rate=opts["lr"],
                lora_r=opts["lora_r"],
                seed=opts["seed"],
            )
        except (OSError, DataError, ValueError) as e:
            raise CommandError(str(e)) from e

        def progress(step: int, total: int, loss: float, eta: float) -> None:
            if step == total or step % 10 == 0 or step == 1:
                print(f"step {step}/{total} loss {loss:.4f} eta {eta:.0f}s", file=sys.stderr, flush=True)

        t0 = time.perf_counter()
        try:
            version = finetune_version(
                name=opts["name"],
                instruction=opts["instruction"],
                labels=labels,
                train=train,
                test=test,
                parent=parent,
                config=config,
                on_progress=progress,
                workdir=opts["workdir"],
                auto_promote_margin=opts["promote_margin"],
                lineage={"source": "file", "train_file": str(opts["train"])},
                produced_by_job="manage.py finetune",
            )
        except ModelIntegrityError as e:
            raise CommandError(str(e)) from e
        m = version.metrics
        summary = (
            f"registered {version.name} ({version.quantization}, {version.status}) in {time.perf_counter() - t0:.0f}s"
        )
        if "test" in m:
            summary += (
                f"; test accuracy {m['test']['accuracy']:.3f} vs parent {m['parent_test']['accuracy']:.3f}"
                f", macro-F1 {m['test']['macro_f1']:.3f} vs {m['parent_test']['macro_f1']:.3f}"
            )
        self.stdout.write(summary)
