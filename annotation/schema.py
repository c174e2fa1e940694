"""Label schemas and label validation: a pure engine with no Django import.

A schema is a JSON object::

    {"labels": [{"value": "spam", "title": "Spam"}, ...],
     "allow_overlapping_spans": false,   # span projects
     "allow_comment": true,
     "max_labels": null}                 # multi-label projects

Errors are ``SchemaError(field, message)`` so callers can name where the problem is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

KINDS = ("single_label", "multi_label", "span", "moderation")
_VALUE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
MAX_LABELS = 200
MAX_COMMENT = 5000


class SchemaError(Exception):
    """A schema or a label failed validation at ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class LabelSet:
    """A validated schema, ready for fast membership checks on the import/submit hot path."""

    kind: str
    values: frozenset[str]
    ordered: tuple[str, ...]
    allow_overlapping_spans: bool
    allow_comment: bool
    max_labels: int | None


def parse_schema(kind: str, schema: Any) -> LabelSet:
    """Validate a project's label schema for its kind; raise SchemaError naming the field."""
    if kind not in KINDS:
        raise SchemaError("kind", f"must be one of {', '.join(KINDS)}")
    if not isinstance(schema, dict):
        raise SchemaError("label_schema", "must be an object")
    unknown = set(schema) - {"labels", "allow_overlapping_spans", "allow_comment", "max_labels"}
    if unknown:
        raise SchemaError("label_schema", f"unknown keys: {', '.join(sorted(unknown))}")
    labels = schema.get("labels")
    if not isinstance(labels, list) or not labels:
        raise SchemaError("label_schema.labels", "must be a non-empty list")
    if len(labels) > MAX_LABELS:
        raise SchemaError("label_schema.labels", f"at most {MAX_LABELS} labels")
    ordered: list[str] = []
    for i, label in enumerate(labels):
        where = f"label_schema.labels[{i}]"
        if not isinstance(label, dict):
            raise SchemaError(where, "must be an object with 'value'")
        value = label.get("value")
        if not isinstance(value, str) or not _VALUE_RE.match(value):
            raise SchemaError(
                f"{where}.value", "must be 1-64 letters, digits, '_', '.', ':' or '-'"
            )
        if value in ordered:
            raise SchemaError(f"{where}.value", f"duplicate label {value!r}")
        title = label.get("title", value)
        if not isinstance(title, str) or not title.strip():
            raise SchemaError(f"{where}.title", "must be a non-empty string")
        ordered.append(value)
    if kind in ("single_label", "moderation") and len(ordered) < 2:
        raise SchemaError("label_schema.labels", "a single-label project needs at least 2 labels")
    max_labels = schema.get("max_labels")
    if max_labels is not None and (not isinstance(max_labels, int) or max_labels < 1):
        raise SchemaError("label_schema.max_labels", "must be a positive integer or null")
    for flag in ("allow_overlapping_spans", "allow_comment"):
        if flag in schema and not isinstance(schema[flag], bool):
            raise SchemaError(f"label_schema.{flag}", "must be true or false")
    return LabelSet(
        kind=kind,
        values=frozenset(ordered),
        ordered=tuple(ordered),
        allow_overlapping_spans=bool(schema.get("allow_overlapping_spans", False)),
        allow_comment=bool(schema.get("allow_comment", True)),
        max_labels=max_labels,
    )


def validate_labels(labelset: LabelSet, labels: Any, field: str = "labels") -> list[str]:
    """Check a list of chosen labels against the schema; returns it normalized."""
    if isinstance(labels, str):
        labels = [labels]
    if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
        raise SchemaError(field, "must be a label or a list of labels")
    for value in labels:
        if value not in labelset.values:
            raise SchemaError(field, f"unknown label {value!r}")
    if len(set(labels)) != len(labels):
        raise SchemaError(field, "labels repeat")
    kind = labelset.kind
    if kind in ("single_label", "moderation") and len(labels) != 1:
        raise SchemaError(field, "exactly one label is required")
    if kind == "multi_label":
        if not labels:
            raise SchemaError(field, "at least one label is required")
        if labelset.max_labels is not None and len(labels) > labelset.max_labels:
            raise SchemaError(field, f"at most {labelset.max_labels} labels")
    if kind == "span" and labels:
        raise SchemaError(field, "span projects take 'spans', not labels")
    return labels


def validate_spans(labelset: LabelSet, spans: Any, text: str, field: str = "spans") -> list[dict[str, Any]]:
    """Check character-offset spans against the text and schema; returns them sorted."""
    if labelset.kind != "span":
        if spans:
            raise SchemaError(field, "only span projects take spans")
        return []
    if not isinstance(spans, list):
        raise SchemaError(field, "must be a list of {start, end, label}")
    out: list[dict[str, Any]] = []
    for i, span in enumerate(spans):
        where = f"{field}[{i}]"
        if not isinstance(span, dict):
            raise SchemaError(where, "must be an object {start, end, label}")
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if type(start) is not int or type(end) is not int:
            raise SchemaError(where, "start and end must be integers")
        if not 0 <= start < end <= len(text):
            raise SchemaError(where, f"offsets {start}..{end} are outside the text (length {len(text)})")
        if label not in labelset.values:
            raise SchemaError(f"{where}.label", f"unknown label {label!r}")
        out.append({"start": start, "end": end, "label": label})
    out.sort(key=lambda s: (s["start"], s["end"]))
    if not labelset.allow_overlapping_spans:
        for prev, cur in pairwise(out):
            if cur["start"] < prev["end"]:
                raise SchemaError(
                    field, f"spans {prev['start']}..{prev['end']} and {cur['start']}..{cur['end']} overlap"
                )
    return out


def validate_comment(labelset: LabelSet, comment: Any, field: str = "comment") -> str:
    if comment in (None, ""):
        return ""
    if not labelset.allow_comment:
        raise SchemaError(field, "comments are not enabled for this project")
    if not isinstance(comment, str):
        raise SchemaError(field, "must be a string")
    if len(comment) > MAX_COMMENT:
        raise SchemaError(field, f"at most {MAX_COMMENT} characters")
    return comment
