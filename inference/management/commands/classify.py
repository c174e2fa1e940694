"""manage.py classify: JSON lines in (``id`` + text), one prediction per line out, streaming."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inference.models import ModelVersion
from inference.serving import predict
from inference.store import ModelIntegrityError, ensure_base_models


class Command(BaseCommand):
    help = (
        "Classify JSON lines from stdin with the local model. Each output line: "
        '{"id", "label", "confidence", "scores": {label: p}}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--labels", required=True, help="comma-separated labels, e.g. spam,ham")
        parser.add_argument("--instruction", required=True)
        parser.add_argument("--model", help="model version name (default: the serving base model)")
        parser.add_argument("--text-field", default="text")
        parser.add_argument("--batch", type=int, default=32, help="items per model batch")
        parser.add_argument("--max-item-tokens", type=int, default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        labels = [x.strip() for x in opts["labels"].split(",") if x.strip()]
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise CommandError("--labels needs at least two distinct labels")
        try:
            version = self._version(opts["model"])
        except ModelIntegrityError as e:
            raise CommandError(str(e)) from e
        field = opts["text_field"]
        out = sys.stdout.buffer
        for batch in _batches(sys.stdin.buffer, field, opts["batch"]):
            ids = [item_id for _, item_id, _ in batch]
            texts = [text for _, _, text in batch]
            predictions = predict(
                version, instruction=opts["instruction"], labels=labels, texts=texts,
                max_item_tokens=opts["max_item_tokens"],
            )
            for item_id, p in zip(ids, predictions, strict=True):
                scores = {k: round(v, 6) for k, v in p.scores.items()}
                out.write(orjson.dumps(
                    {"id": item_id, "label": p.label, "confidence": round(p.confidence, 6), "scores": scores}
                ) + b"\n")
            out.flush()

    def _version(self, name: str | None) -> ModelVersion:
        if not name:
            return ensure_base_models()
        version = ModelVersion.objects.filter(name=name).first()
        if version is None:
            known = ", ".join(ModelVersion.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no model version {name!r} (known: {known})")
        return version


def _batches(stream: Any, field: str, size: int) -> Iterator[list[tuple[int, Any, str]]]:
    batch: list[tuple[int, Any, str]] = []
    for line_no, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise CommandError(f"stdin:{line_no}: invalid JSON ({e})") from e
        if not isinstance(record, dict) or "id" not in record:
            raise CommandError(f"stdin:{line_no}: [id] missing")
        text = record.get(field)
        if not isinstance(text, str):
            raise CommandError(f"stdin:{line_no}: [{field}] missing or not a string")
        batch.append((line_no, record["id"], text))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
