"""Training data for label fine-tuning: JSON-lines records, validation, and prompt→label token rows."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference.runtime.prompting import PreparedTask, head_tail


class DataError(ValueError):
    """A training record is malformed or names a label outside the task's labels."""


@dataclass(frozen=True)
class Record:
    """One labeled item: an id, its text and its label."""

    id: str
    text: str
    label: str


@dataclass(frozen=True)
class Row:
    """One encoded example after the shared prefix: item + suffix + label tokens but the last.

    ``targets`` are the label's tokens; the logits at ``len(tokens) - len(targets)`` and after score them.
    """

    tokens: tuple[int, ...]
    targets: tuple[int, ...]
    label: int

    @property
    def first_target(self) -> int:
        return len(self.tokens) - len(self.targets)


def _json_lines(lines: Iterable[str | bytes], source: str) -> Iterator[tuple[int, Any]]:
    """(line number, decoded value) of each non-blank JSON line; a bad one is named by its line."""
    for line_no, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            yield line_no, json.loads(raw)
        except json.JSONDecodeError as e:
            raise DataError(f"{source}:{line_no}: invalid JSON ({e.msg})") from e


def parse_records(lines: Iterable[str | bytes], labels: Sequence[str], *, source: str = "input") -> list[Record]:
    """Records from JSON lines ``{"id", "text", "label"}``; blank lines skipped, errors name the line."""
    known = set(labels)
    out: list[Record] = []
    seen: set[str] = set()
    for line_no, obj in _json_lines(lines, source):
        if not isinstance(obj, dict):
            raise DataError(f"{source}:{line_no}: a line must be a JSON object")
        text, label = obj.get("text"), obj.get("label")
        if "id" not in obj:
            raise DataError(f"{source}:{line_no}: [id] missing")
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{source}:{line_no}: [text] missing or empty")
        if not isinstance(label, str) or label not in known:
            raise DataError(f"{source}:{line_no}: label {label!r} is not one of {sorted(known)}")
        item_id = str(obj["id"])
        if item_id in seen:
            raise DataError(f"{source}:{line_no}: duplicate id {item_id!r}")
        seen.add(item_id)
        out.append(Record(item_id, text, label))
    if not out:
        raise DataError(f"{source}: no records")
    return out


def read_jsonl(path: Path, labels: Sequence[str]) -> list[Record]:
    with open(path, encoding="utf-8") as fh:
        return parse_records(fh, labels, source=str(path))


def records_sha256(records: Sequence[Record]) -> str:
    """A fingerprint of the training data (order included): lineage and checkpoint identity."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(json.dumps([r.id, r.text, r.label], ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def split_records(records: Sequence[Record], test_share: float, seed: int = 0) -> tuple[list[Record], list[Record]]:
    """(train, test), stratified by label; the same records and seed always give the same split."""
    if not 0 <= test_share < 1:
        raise ValueError("test_share is in [0, 1)")
    rng = random.Random(seed)
    by_label: dict[str, list[Record]] = {}
    for r in records:
        by_label.setdefault(r.label, []).append(r)
    train: list[Record] = []
    test: list[Record] = []
    for label in sorted(by_label):
        group = list(by_label[label])
        rng.shuffle(group)
        k = round(len(group) * test_share)
        test += group[:k]
        train += group[k:]
    return train, test


def encode(
    records: Sequence[Record], task: PreparedTask, tokenize_item: Callable[[str], list[int]], max_item_tokens: int
) -> list[Row]:
    """Rows for ``records``: items cut to ``max_item_tokens`` (head + tail, as the scorers cut them)."""
    rows = []
    for r in records:
        item = tokenize_item(r.text)
        if len(item) > max_item_tokens:
            item = head_tail(item, max_item_tokens, task.ellipsis_tokens)
        index = task.labels.index(r.label)
        label_tokens = task.label_tokens[index]
        rows.append(Row((*item, *task.suffix_tokens, *label_tokens[:-1]), tuple(label_tokens), index))
    return rows


def epoch_batches(rows: Sequence[Row], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Row indices batched by similar length (less padding), batches in random order; deterministic."""
    rng = random.Random(f"{seed}:{epoch}")
    order = list(range(len(rows)))
    rng.shuffle(order)
    # sort within windows of a few batches: lengths even out without a fixed, learnable order
    window = batch_size * 8
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(rows[i].tokens))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def snapshot_splits(
    lines: Iterable[str | bytes], labels: Sequence[str], *, source: str = "snapshot"
) -> dict[str, list[Record]]:
    """Records of a JSON-lines snapshot (``{"id", "text", "label", "split", ...}``) grouped by split.

    Rows without a single label (unresolved items) or with a label outside ``labels`` are skipped:
    a snapshot may carry labels the task does not train.
    """
    known = set(labels)
    out: dict[str, list[Record]] = {}
    for _, obj in _json_lines(lines, source):
        if not isinstance(obj, dict):
            continue
        label, text = obj.get("label"), obj.get("text")
        if label not in known or not isinstance(text, str) or not text.strip():
            continue
        out.setdefault(str(obj.get("split") or "train"), []).append(Record(str(obj.get("id")), text, str(label)))
    return out
