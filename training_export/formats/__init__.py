"""Export formats: streaming writers of resolved rows, one per format; pure (no Django).

Every writer takes batches of ``ExportRow`` and writes bytes to a binary stream as it goes, so a
snapshot of any size is written in constant memory. Output depends only on the rows, never on the
time or the snapshot's id: the same data always gives the same bytes (and so the same sha256).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from .base import ExportContext, ExportRow, FormatError, Writer
from .text import ChatWriter, ConllWriter, CsvWriter, JsonlWriter, LabelStudioWriter, safe_cell

EXTENSIONS = {
    "jsonl": "jsonl",
    "chat": "jsonl",
    "csv": "csv",
    "parquet": "parquet",
    "hf": "tar",
    "conll": "conll",
    "labelstudio": "json",
}
CONTENT_TYPES = {
    "jsonl": "application/x-ndjson",
    "chat": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "hf": "application/x-tar",
    "conll": "text/plain; charset=utf-8",
    "labelstudio": "application/json",
}


def open_writer(fmt: str, out: BinaryIO, ctx: ExportContext, workdir: Path) -> Writer:
    """A writer for ``fmt`` onto ``out``; ``workdir`` is scratch space (the HF folder's splits)."""
    if fmt == "jsonl":
        return JsonlWriter(out, ctx)
    if fmt == "chat":
        return ChatWriter(out, ctx)
    if fmt == "csv":
        return CsvWriter(out, ctx)
    if fmt == "conll":
        return ConllWriter(out, ctx)
    if fmt == "labelstudio":
        return LabelStudioWriter(out, ctx)
    if fmt == "parquet":
        from .arrow import ParquetWriter

        return ParquetWriter(out, ctx)
    if fmt == "hf":
        from .arrow import HfDatasetWriter

        return HfDatasetWriter(out, ctx, workdir)
    raise FormatError(f"unknown format {fmt!r}")


__all__ = [
    "CONTENT_TYPES",
    "EXTENSIONS",
    "ChatWriter",
    "ConllWriter",
    "CsvWriter",
    "ExportContext",
    "ExportRow",
    "FormatError",
    "JsonlWriter",
    "LabelStudioWriter",
    "Writer",
    "open_writer",
    "safe_cell",
]
