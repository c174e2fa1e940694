"""Training records: parsing and validation, stratified splits, token rows, length-bucketed batches."""

from __future__ import annotations

import json

import pytest

from inference.runtime.prompting import TaskSpec, prepare
from training_export.finetune.data import (
    DataError,
    Record,
    encode,
    epoch_batches,
    parse_records,
    records_sha256,
    split_records,
)

LABELS = ["spam", "ham"]


def lines(*objs: object) -> list[str]:
    return [json.dumps(o) for o in objs]


def test_parse_records_reads_and_validates() -> None:
    got = parse_records(
        [*lines({"id": 1, "text": "buy now", "label": "spam"}), "", '{"id": "b", "text": "hi", "label": "ham"}'], LABELS
    )
    assert got == [Record("1", "buy now", "spam"), Record("b", "hi", "ham")]
    with pytest.raises(DataError, match="input:2: label 'eggs'"):
        parse_records(lines({"id": 1, "text": "a", "label": "spam"}, {"id": 2, "text": "b", "label": "eggs"}), LABELS)
    with pytest.raises(DataError, match=r"input:1: \[id\] missing"):
        parse_records(lines({"text": "a", "label": "spam"}), LABELS)
    with pytest.raises(DataError, match="duplicate id"):
        parse_records(lines({"id": 1, "text": "a", "label": "spam"}, {"id": 1, "text": "b", "label": "ham"}), LABELS)
    with pytest.raises(DataError, match="invalid JSON"):
        parse_records(["{nope"], LABELS)
    with pytest.raises(DataError, match="no records"):
        parse_records(["", "  "], LABELS)


def test_split_is_stratified_disjoint_and_stable() -> None:
    records = [Record(str(i), f"t{i}", LABELS[i % 3 == 0]) for i in range(60)]
    train, test = split_records(records, 0.25, seed=1)
    assert {r.id for r in train}.isdisjoint({r.id for r in test})
    assert len(train) + len(test) == 60
    assert sum(r.label == "ham" for r in test) == 5 and sum(r.label == "spam" for r in test) == 10
    assert split_records(records, 0.25, seed=1) == (train, test)
    assert split_records(records, 0.0)[1] == []


def test_sha_depends_on_content_and_order() -> None:
    a, b = Record("1", "x", "spam"), Record("2", "y", "ham")
    assert records_sha256([a, b]) == records_sha256([a, b])
    assert records_sha256([a, b]) != records_sha256([b, a])
    assert records_sha256([a]) != records_sha256([Record("1", "x", "ham")])


def fake_tokenize(text: str, special: bool = False) -> list[int]:
    return [1000 + sum(map(ord, w)) % 997 for w in text.split()] or [7]


def test_encode_puts_label_tokens_after_the_prompt() -> None:
    spec = TaskSpec("Spam?", ("spam", "very ham"))
    task = prepare(spec, fake_tokenize)
    rows = encode(
        [Record("1", "one two three four five", "very ham"), Record("2", "x", "spam")],
        task,
        lambda t: fake_tokenize(t),
        max_item_tokens=3,
    )
    long, short = rows
    assert long.targets == task.label_tokens[1] and len(long.targets) == 2
    # the item is cut to 3 tokens (head + tail with the ellipsis), then suffix, then the label but its last token
    assert long.tokens[-len(task.suffix_tokens) - 1 : -1] == task.suffix_tokens
    assert long.tokens[-1] == task.label_tokens[1][0]
    assert long.first_target == len(long.tokens) - 2 and long.label == 1
    assert short.tokens == (*fake_tokenize("x"), *task.suffix_tokens) and short.label == 0


def test_epoch_batches_cover_every_row_once_and_are_deterministic() -> None:
    from training_export.finetune.data import Row

    rows = [Row(tuple(range(i % 17 + 1)), (5,), 0) for i in range(100)]
    batches = epoch_batches(rows, 8, seed=0, epoch=0)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(100))
    assert all(len(b) <= 8 for b in batches)
    assert epoch_batches(rows, 8, seed=0, epoch=0) == batches
    assert epoch_batches(rows, 8, seed=0, epoch=1) != batches


def test_snapshot_splits_groups_rows_and_skips_unlabeled() -> None:
    from training_export.finetune.data import snapshot_splits

    rows = [
        {"id": "a", "text": "buy", "label": "spam", "split": "train"},
        {"id": "b", "text": "hi", "label": "ham", "split": "test"},
        {"id": "c", "text": "??", "label": None, "split": "train"},  # unresolved
        {"id": "d", "text": "x", "label": "eggs", "split": "train"},  # not a trained label
        {"id": "e", "text": "yo", "label": "ham", "split": "validation"},
    ]
    got = snapshot_splits(lines(*rows), LABELS)
    assert got == {
        "train": [Record("a", "buy", "spam")],
        "test": [Record("b", "hi", "ham")],
        "validation": [Record("e", "yo", "ham")],
    }
