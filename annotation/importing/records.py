"""Validate one imported record against a project's schema into a storable row. Pure Python.

Accepted fields (JSON; CSV columns of the same names, lists separated by ``;``):
``external_id`` (or ``id``, required), ``text`` (required unless ``media``), ``media``,
``metadata`` (object), ``source_system``, ``jurisdiction``, ``allowed_purposes`` (list),
``priority`` (int), ``label``/``labels``/``spans`` (a reference answer, checked against the
schema), ``gold`` (bool: the reference is the gold answer), ``pinned_vendor`` (vendor name),
``internal_only`` (bool).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

from ..schema import LabelSet, SchemaError, validate_labels, validate_spans

KNOWN_FIELDS = frozenset(
    {
        "external_id", "id", "text", "media", "metadata", "source_system", "jurisdiction",
        "allowed_purposes", "priority", "label", "labels", "spans", "gold", "pinned_vendor",
        "internal_only",
    }
)
PURPOSES = frozenset({"annotation", "model_training", "evaluation", "analytics"})
DEFAULT_PURPOSES = ("annotation", "model_training", "evaluation")
MAX_TEXT = 1_000_000
MAX_DATA_URI = 34 * 1024 * 1024  # base64 of the 25 MiB image limit (annotation.media)
MAX_EXTERNAL_ID = 255
MAX_DEPTH = 32  # of nested objects and lists in a record (metadata, spans)
_SURROGATE = re.compile("[\ud800-\udfff]")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


class RecordError(SchemaError):
    """A record failed validation at ``field``."""


@dataclass(slots=True)
class Row:
    line: int
    external_id: str
    text: str
    media: str
    metadata: dict[str, Any]
    source_system: str
    jurisdiction: str
    allowed_purposes: list[str]
    priority: int
    is_gold: bool
    reference: dict[str, Any] | None
    pinned_vendor: str
    internal_only: bool
    content_hash: str = ""
    # Filled by the redact stage; ``text`` (raw) never leaves the worker's memory unsealed.
    text_redacted: str = ""
    text_pseudonymized: str = ""
    text_sealed: bytes = b""


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise RecordError(field, "must be true or false")


def _list(value: Any, field: str) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise RecordError(field, "must be a list of strings")


def _str(record: dict[str, Any], field: str, max_len: int) -> str:
    value = record.get(field, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(field, "must be a string")
    if len(value) > max_len:
        raise RecordError(field, f"longer than {max_len} characters")
    return value


def check_storable(record: dict[str, Any]) -> None:
    """Refuse what PostgreSQL cannot store or orjson cannot hash, naming where it is: a NUL
    character, a lone surrogate (valid JSON escapes, not Unicode), nesting deeper than MAX_DEPTH."""
    if _clean(record, 0):  # the common case, without building a path for every value
        return
    stack: list[tuple[str, Any, int]] = [(str(k), v, 1) for k, v in record.items()]
    for key in record:
        _check_string(key, str(key))
    while stack:
        where, value, depth = stack.pop()
        if isinstance(value, str):
            _check_string(value, where)
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                raise RecordError(where.split(".")[0], f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, dict):
                for k, v in value.items():
                    _check_string(k, f"{where}.{k}")
                    stack.append((f"{where}.{k}", v, depth + 1))
            else:
                stack.extend((f"{where}[{i}]", v, depth + 1) for i, v in enumerate(value))


def _clean(value: Any, depth: int) -> bool:
    if isinstance(value, str):
        if "\x00" in value:
            return False
        if value.isascii():
            return True
        try:
            value.encode("utf-8")  # fails exactly on lone surrogates; faster than a search
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return False
        for k, v in value.items():
            if not (_clean(k, depth) and _clean(v, depth + 1)):
                return False
    elif isinstance(value, list):
        if depth >= MAX_DEPTH:
            return False
        for v in value:
            if not _clean(v, depth + 1):
                return False
    return True


def _check_string(value: str, where: str) -> None:
    if "\x00" in value:
        raise RecordError(where, "contains a NUL character")
    if not value.isascii() and _SURROGATE.search(value):
        raise RecordError(where, "contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text")


def build_row(record: dict[str, Any], line: int, labelset: LabelSet) -> Row:
    """Validate ``record``; raise RecordError naming the field."""
    unknown = record.keys() - KNOWN_FIELDS
    if unknown:
        raise RecordError(sorted(unknown)[0], "unknown field")
    check_storable(record)
    ext = record.get("external_id", record.get("id"))
    if ext is None or ext == "":
        raise RecordError("external_id", "missing")
    if isinstance(ext, bool) or not isinstance(ext, (str, int)):
        raise RecordError("external_id", "must be a string or an integer")
    ext = str(ext)
    if len(ext) > MAX_EXTERNAL_ID:
        raise RecordError("external_id", f"longer than {MAX_EXTERNAL_ID} characters")
    text = record.get("text")
    media = _str(record, "media", MAX_DATA_URI)  # a data: URI image; other values stay under 500
    if len(media) > 500 and not media.startswith("data:"):
        raise RecordError("media", "longer than 500 characters")
    if text is None or text == "":
        if not media:
            raise RecordError("text", "missing")
        text = ""
    elif not isinstance(text, str):
        raise RecordError("text", "must be a string")
    elif len(text) > MAX_TEXT:
        raise RecordError("text", f"longer than {MAX_TEXT} characters")
    if "\x00" in text:
        raise RecordError("text", "contains a NUL character")
    metadata = record.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise RecordError("metadata", "must be an object")
    purposes_raw = record.get("allowed_purposes")
    purposes = list(DEFAULT_PURPOSES) if purposes_raw is None else _list(purposes_raw, "allowed_purposes")
    bad = [p for p in purposes if p not in PURPOSES]
    if bad:
        raise RecordError("allowed_purposes", f"unknown purpose {bad[0]!r}")
    priority_raw = record.get("priority", 0)
    try:
        if isinstance(priority_raw, (bool, float)):
            raise ValueError
        priority = int(priority_raw)
    except (TypeError, ValueError):
        raise RecordError("priority", "must be an integer") from None
    if not -1_000_000 <= priority <= 1_000_000:
        raise RecordError("priority", "must be between -1000000 and 1000000")

    reference: dict[str, Any] | None = None
    if "label" in record and "labels" in record:
        raise RecordError("labels", "give either 'label' or 'labels', not both")
    raw_labels = record.get("labels", record.get("label"))
    label_field = "labels" if "labels" in record else "label"
    raw_spans = record.get("spans")
    if raw_labels not in (None, "", []) or raw_spans not in (None, "", []):
        labels: list[str] = []
        if raw_labels not in (None, "", []):
            if isinstance(raw_labels, str) and labelset.kind == "multi_label":
                raw_labels = _list(raw_labels, label_field)
            labels = validate_labels(labelset, raw_labels, label_field)
        spans = validate_spans(labelset, raw_spans or [], text, "spans")
        reference = {"labels": labels, "spans": spans}
    is_gold = _bool(record.get("gold", False), "gold")
    if is_gold and reference is None:
        raise RecordError("gold", "a gold item needs its answer in 'label', 'labels' or 'spans'")
    internal_only = _bool(record.get("internal_only", False), "internal_only")
    pinned_vendor = _str(record, "pinned_vendor", 200)
    if pinned_vendor and internal_only:
        raise RecordError("pinned_vendor", "an item is either pinned to a vendor or internal-only")
    row = Row(
        line=line,
        external_id=ext,
        text=text,
        media=media,
        metadata=metadata,
        source_system=_str(record, "source_system", 100),
        jurisdiction=_str(record, "jurisdiction", 16),
        allowed_purposes=purposes,
        priority=priority,
        is_gold=is_gold,
        reference=reference,
        pinned_vendor=pinned_vendor,
        internal_only=internal_only,
    )
    row.content_hash = content_hash(row)
    return row


def content_hash(row: Row) -> str:
    """sha256 over everything imported for the item: equal hash means a re-import changes nothing."""
    payload = orjson.dumps(
        [
            row.text, row.media, row.metadata, row.source_system, row.jurisdiction,
            row.allowed_purposes, row.priority, row.is_gold, row.reference, row.pinned_vendor,
            row.internal_only,
        ],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(payload).hexdigest()
