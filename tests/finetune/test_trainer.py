"""The trainer on the tiny random Llama: the loss falls, a cancelled run resumes to the same weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inference.runtime.prompting import TaskSpec
from tests.finetune.conftest import needs_torch
from training_export.finetune.data import Record

pytestmark = [needs_torch, pytest.mark.slow]  # each model load parses the 49k-token vocabulary (~15 s)

SPEC = TaskSpec("Is the customer happy?", ("yes", "no"))
RECORDS = [
    Record(str(i), text, label)
    for i, (text, label) in enumerate(
        [("I love it, thank you so much", "yes"), ("This is broken and I want a refund", "no")] * 8
        + [("Great service, very happy", "yes"), ("Worst purchase ever, awful", "no")] * 4
    )
]


def config(**kw: object) -> Any:
    from training_export.finetune.trainer import FineTuneConfig

    base: dict[str, Any] = {
        "batch_size": 4,
        "max_steps": 6,
        "learning_rate": 1e-2,
        "lora_dropout": 0.0,
        "warmup_steps": 1,
        "checkpoint_every": 2,
        "threads": 2,
    }
    return FineTuneConfig(**{**base, **kw})


def test_train_cancel_resume_equals_uninterrupted(tiny_gguf: Path, tmp_path: Path) -> None:
    import torch

    from training_export.finetune.trainer import CHECKPOINT, FineTuneCancelled, Trainer

    progress: list[tuple[int, int, float, float]] = []
    whole = Trainer(
        model_path=tiny_gguf,
        spec=SPEC,
        records=RECORDS,
        config=config(),
        workdir=tmp_path / "a",
        on_progress=lambda *a: progress.append(a),
    )
    want = {k: v.clone() for k, v in whole.run().state_dict().items()}
    assert [p[0] for p in progress] == [1, 2, 3, 4, 5, 6] and all(p[1] == 6 for p in progress)
    assert progress[-1][3] == 0.0 and all(p[3] >= 0 for p in progress)
    losses = whole.stats.losses
    assert sum(losses[-2:]) < sum(losses[:2])  # it learns the two labels
    assert whole.stats.tokens > 0 and whole.stats.examples_seen == 24

    calls = []

    def cancel_at_4() -> bool:
        calls.append(1)
        return len(calls) == 5  # asked before each step: True before step 5 (4 done)

    first = Trainer(
        model_path=tiny_gguf,
        spec=SPEC,
        records=RECORDS,
        config=config(),
        workdir=tmp_path / "b",
        should_cancel=cancel_at_4,
    )
    with pytest.raises(FineTuneCancelled, match="step 4 of 6"):
        first.run()
    assert (tmp_path / "b" / CHECKPOINT).is_file()

    second = Trainer(model_path=tiny_gguf, spec=SPEC, records=RECORDS, config=config(), workdir=tmp_path / "b")
    got = second.run().state_dict()
    assert second.stats.resumed_from == 4 and second.stats.losses[:4] == pytest.approx(losses[:4], rel=1e-6)
    assert set(got) == set(want)
    for name, value in want.items():
        torch.testing.assert_close(got[name], value, rtol=1e-5, atol=1e-6, msg=name)


def test_checkpoint_of_another_run_is_ignored(tiny_gguf: Path, tmp_path: Path) -> None:
    from training_export.finetune.trainer import Trainer

    first = Trainer(
        model_path=tiny_gguf,
        spec=SPEC,
        records=RECORDS,
        config=config(max_steps=3, method="full", learning_rate=1e-3),
        workdir=tmp_path,
        should_cancel=lambda: len(first.stats.losses) >= 2,
    )
    with pytest.raises(Exception, match="cancelled"):
        first.run()
    other = Trainer(
        model_path=tiny_gguf,
        spec=SPEC,
        records=RECORDS[:-1],
        config=config(max_steps=3, method="full", learning_rate=1e-3),
        workdir=tmp_path,
    )
    other.run()
    assert other.stats.resumed_from == 0 and len(other.stats.losses) == 3
