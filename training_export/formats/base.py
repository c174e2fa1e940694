"""The row every format writes, the context it needs, and the writer protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

Span = tuple[int, int, str]
SINGLE_KINDS = ("single_label", "moderation")


class FormatError(ValueError):
    """The format cannot express this project (e.g. CoNLL for a project without spans)."""


class ExportRow(NamedTuple):
    """One resolved item. A named tuple: a million of them are made per snapshot, and a tuple is
    several times cheaper to build than a frozen dataclass."""

    item_id: int
    external_id: str
    text: str
    labels: tuple[str, ...]
    spans: tuple[Span, ...]
    agreement: float
    confidence: float
    annotators: int
    resolution: str  # majority | weighted | dawid_skene | gold | adjudicated
    split: str  # train | validation | test

    def as_record(self, kind: str) -> dict[str, Any]:
        """The JSON-lines record; ``label`` is there for single-label kinds (fine-tuning reads it)."""
        labels, spans = self.labels, self.spans
        if kind in SINGLE_KINDS:  # one literal per shape: this runs once per exported row
            return {
                "id": self.external_id, "item_id": self.item_id, "text": self.text,
                "label": labels[0] if labels else None, "labels": list(labels),
                "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans] if spans else [],
                "split": self.split, "agreement": self.agreement, "confidence": self.confidence,
                "annotators": self.annotators, "resolution": self.resolution,
            }  # fmt: skip
        return {
            "id": self.external_id, "item_id": self.item_id, "text": self.text, "labels": list(labels),
            "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans] if spans else [],
            "split": self.split, "agreement": self.agreement, "confidence": self.confidence,
            "annotators": self.annotators, "resolution": self.resolution,
        }  # fmt: skip


@dataclass(frozen=True)
class ExportContext:
    kind: str  # the project's kind
    labels: tuple[str, ...]  # the schema's label values, in order
    instruction: str = ""  # the project's task instruction (the chat format's system message)


class Writer(Protocol):
    def write_rows(self, rows: Sequence[ExportRow]) -> None: ...

    def close(self) -> None:
        """Write whatever ends the file; the stream itself stays open (the caller owns it)."""
