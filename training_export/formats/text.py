"""Text formats: JSON lines, chat SFT JSON lines, formula-safe CSV, CoNLL (BIO) and Label Studio JSON."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any, BinaryIO

import orjson

from .base import SINGLE_KINDS, ExportContext, ExportRow, FormatError

_NL = orjson.OPT_APPEND_NEWLINE


class JsonlWriter:
    def __init__(self, out: BinaryIO, ctx: ExportContext) -> None:
        self.out, self.kind = out, ctx.kind

    def write_rows(self, rows: Sequence[ExportRow]) -> None:
        kind = self.kind
        self.out.write(b"".join([orjson.dumps(r.as_record(kind), option=_NL) for r in rows]))

    def close(self) -> None:
        pass


def chat_answer(row: ExportRow, kind: str) -> str:
    """What the assistant should say: the label, the labels, or the marked spans as JSON."""
    if kind in SINGLE_KINDS:
        return row.labels[0] if row.labels else ""
    if kind == "multi_label":
        return ", ".join(row.labels)
    return orjson.dumps([{"text": row.text[s:e], "label": lab} for s, e, lab in row.spans]).decode()


def default_system_prompt(ctx: ExportContext) -> str:
    if ctx.instruction.strip():
        return ctx.instruction.strip()
    choices = ", ".join(ctx.labels)
    if ctx.kind in SINGLE_KINDS:
        return f"Classify the text. Answer with exactly one of: {choices}."
    if ctx.kind == "multi_label":
        return f"Tag the text. Answer with the labels that apply, comma-separated, from: {choices}."
    return f"Mark the spans of these types in the text and answer as JSON: {choices}."


class ChatWriter:
    """``{"messages": [system, user, assistant], "id", "split"}`` per line (chat SFT)."""

    def __init__(self, out: BinaryIO, ctx: ExportContext) -> None:
        self.out, self.kind = out, ctx.kind
        self.system = default_system_prompt(ctx)

    def write_rows(self, rows: Sequence[ExportRow]) -> None:
        kind, system = self.kind, self.system
        self.out.write(
            b"".join(
                [
                    orjson.dumps(
                        {
                            "id": r.external_id,
                            "split": r.split,
                            "messages": [
                                {"role": "system", "content": system},
                                {"role": "user", "content": r.text},
                                {"role": "assistant", "content": chat_answer(r, kind)},
                            ],
                        },
                        option=_NL,
                    )
                    for r in rows
                ]
            )
        )

    def close(self) -> None:
        pass


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet will not run: one starting like a formula gets a leading quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


CSV_COLUMNS = ("id", "split", "text", "labels", "spans", "agreement", "confidence", "annotators", "resolution")


class CsvWriter:
    """RFC 4180 CSV, UTF-8; labels joined by ``|``, spans as JSON; every text cell formula-safe."""

    def __init__(self, out: BinaryIO, ctx: ExportContext) -> None:
        self.out = out
        self.out.write(",".join(CSV_COLUMNS).encode() + b"\r\n")

    def write_rows(self, rows: Sequence[ExportRow]) -> None:
        buf = io.StringIO()
        writer = csv.writer(buf)
        for r in rows:
            spans = orjson.dumps([[s, e, lab] for s, e, lab in r.spans]).decode() if r.spans else ""
            writer.writerow(
                (
                    safe_cell(r.external_id),
                    r.split,
                    safe_cell(r.text),
                    safe_cell("|".join(r.labels)),
                    spans,
                    r.agreement,
                    r.confidence,
                    r.annotators,
                    r.resolution,
                )
            )
        self.out.write(buf.getvalue().encode("utf-8"))

    def close(self) -> None:
        pass


_TOKEN = re.compile(r"\S+")


def bio_tags(text: str, spans: Sequence[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """Whitespace tokens with BIO tags: a token starting inside a span takes its label (B- for the
    first token of the span, I- after)."""
    out: list[tuple[str, str]] = []
    ordered = sorted(spans)
    j = 0
    current: tuple[int, int, str] | None = None
    for m in _TOKEN.finditer(text):
        start = m.start()
        while j < len(ordered) and ordered[j][1] <= start:
            j += 1
        span = ordered[j] if j < len(ordered) and ordered[j][0] <= start < ordered[j][1] else None
        if span is None:
            out.append((m.group(), "O"))
        else:
            out.append((m.group(), ("I-" if span == current else "B-") + span[2]))
        current = span
    return out


class ConllWriter:
    """CoNLL-style: ``# id = …`` and ``# split = …`` comments, then ``token<TAB>tag`` lines, a blank
    line between items. Only span projects have something to say here."""

    def __init__(self, out: BinaryIO, ctx: ExportContext) -> None:
        if ctx.kind != "span":
            raise FormatError("CoNLL export needs a span project.")
        self.out = out

    def write_rows(self, rows: Sequence[ExportRow]) -> None:
        parts: list[str] = []
        for r in rows:
            ext = r.external_id.replace("\n", " ")
            parts.append(f"# id = {ext}\n# split = {r.split}\n")
            parts.extend(f"{tok}\t{tag}\n" for tok, tag in bio_tags(r.text, r.spans))
            parts.append("\n")
        self.out.write("".join(parts).encode("utf-8"))

    def close(self) -> None:
        pass


def labelstudio_task(row: ExportRow, kind: str) -> dict[str, Any]:
    result: list[dict[str, Any]] = []
    if kind == "span":
        for i, (s, e, lab) in enumerate(row.spans):
            result.append(
                {
                    "id": f"s{i}",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": s, "end": e, "text": row.text[s:e], "labels": [lab]},
                }
            )
    elif row.labels:
        result.append(
            {
                "id": "c0",
                "from_name": "label",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": list(row.labels)},
            }
        )
    return {
        "id": row.item_id,
        "data": {"text": row.text, "external_id": row.external_id},
        "meta": {"split": row.split, "agreement": row.agreement, "resolution": row.resolution},
        "annotations": [{"result": result, "ground_truth": row.resolution in ("gold", "adjudicated")}],
    }


class LabelStudioWriter:
    """A Label Studio import file: one JSON array of tasks, written element by element."""

    def __init__(self, out: BinaryIO, ctx: ExportContext) -> None:
        self.out, self.kind = out, ctx.kind
        self.first = True
        self.out.write(b"[")

    def write_rows(self, rows: Sequence[ExportRow]) -> None:
        if not rows:
            return
        body = b",\n".join(orjson.dumps(labelstudio_task(r, self.kind)) for r in rows)
        self.out.write((b"\n" if self.first else b",\n") + body)
        self.first = False

    def close(self) -> None:
        self.out.write(b"\n]\n")


def labelstudio_to_records(tasks: Any, *, kind: str) -> list[dict[str, Any]]:
    """Label Studio tasks (an export of theirs or ours) as Quorum import records, so a project can
    move in: ``external_id`` from ``data.external_id`` or the task id, the first annotation's
    choices or labeled spans as the reference answer."""
    if not isinstance(tasks, list):
        raise FormatError("a Label Studio export is a JSON array of tasks")
    records: list[dict[str, Any]] = []
    for i, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise FormatError(f"task {i}: needs a 'data' object")
        data = task["data"]
        text = data.get("text")
        if not isinstance(text, str):
            raise FormatError(f"task {i}: data.text must be a string")
        record: dict[str, Any] = {"external_id": str(data.get("external_id") or task.get("id") or i), "text": text}
        annotations = task.get("annotations") or []
        results = annotations[0].get("result", []) if annotations and isinstance(annotations[0], dict) else []
        labels: list[str] = []
        spans: list[dict[str, Any]] = []
        for res in results:
            value = res.get("value", {}) if isinstance(res, dict) else {}
            if res.get("type") == "choices":
                labels.extend(value.get("choices", []))
            elif res.get("type") == "labels":
                spans.extend({"start": value["start"], "end": value["end"], "label": lab} for lab in value["labels"])
        if kind == "span" and spans:
            record["spans"] = spans
        elif labels:
            record["labels" if kind == "multi_label" else "label"] = labels if kind == "multi_label" else labels[0]
        records.append(record)
    return records
