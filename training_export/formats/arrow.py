"""Arrow formats: Parquet, and a Hugging Face ``datasets`` folder (``save_to_disk`` layout) in a tar.

pyarrow is imported here only, and this module only when one of these formats is asked for.
The HF folder is written without the ``datasets`` package: per split an Arrow IPC stream file
``data-00000-of-00001.arrow`` with ``dataset_info.json`` and ``state.json``, and
``dataset_dict.json`` at the top, which ``datasets.load_from_disk`` reads. It ships as one
uncompressed tar (fixed times and owners, sorted names) so it is one content-addressed file.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from .base import ExportContext, ExportRow

SPLITS = ("train", "validation", "test")
ARROW_FILE = "data-00000-of-00001.arrow"


def _schema(hf_spans: bool) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    if hf_spans:  # datasets' Sequence({...}) is a struct of lists
        spans = pa.struct(
            [
                ("start", pa.list_(pa.int32())),
                ("end", pa.list_(pa.int32())),
                ("label", pa.list_(pa.string())),
            ]
        )
    else:
        spans = pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("label", pa.string())]))
    return pa.schema(
        [
            ("id", pa.string()),
            ("item_id", pa.int64()),
            ("text", pa.string()),
            ("labels", pa.list_(pa.string())),
            ("spans", spans),
            ("split", pa.string()),
            ("agreement", pa.float64()),
            ("confidence", pa.float64()),
            ("annotators", pa.int32()),
            ("resolution", pa.string()),
        ]
    )


def _batch(rows: Sequence[ExportRow], schema: Any, hf_spans: bool) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    if hf_spans:
        spans: list[Any] = [
            {"start": [s[0] for s in r.spans], "end": [s[1] for s in r.spans], "label": [s[2] for s in r.spans]}
            for r in rows
        ]
    else:
        spans = [[{"start": s, "end": e, "label": lab} for s, e, lab in r.spans] for r in rows]
    columns = [
        [r.external_id for r in rows],
        [r.item_id for r in rows],
        [r.text for r in rows],
        [list(r.labels) for r in rows],
        spans,
        [r.split for r in rows],
        [r.agreement for r in rows],
        [r.confidence for r in rows],
        [r.annotators for r in rows],
        [r.resolution for r in rows],
    ]
    return pa.RecordBatch.from_arrays(
        [pa.array(col, type=field.type) for col, field in zip(columns, schema, strict=True)], schema=schema
    )


class ParquetWriter:
    """One row group per batch; zstd; statistics on. Deterministic for the same rows."""

    def __init__(self, out: BinaryIO, ctx: ExportContext) -> None:
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

        self.schema = _schema(hf_spans=False)
        self.sink = pa.PythonFile(out, mode="w")
        self.writer = pq.ParquetWriter(self.sink, self.schema, compression="zstd")

    def write_rows(self, rows: Sequence[ExportRow]) -> None:
        if rows:
            self.writer.write_batch(_batch(rows, self.schema, hf_spans=False))

    def close(self) -> None:
        self.writer.close()  # writes the footer; PythonFile is closed by it but not ``out``


def hf_features() -> dict[str, Any]:
    def value(dtype: str) -> dict[str, Any]:
        return {"dtype": dtype, "_type": "Value"}

    return {
        "id": value("string"),
        "item_id": value("int64"),
        "text": value("string"),
        "labels": {"feature": value("string"), "_type": "Sequence"},
        "spans": {
            "feature": {"start": value("int32"), "end": value("int32"), "label": value("string")},
            "_type": "Sequence",
        },
        "split": value("string"),
        "agreement": value("float64"),
        "confidence": value("float64"),
        "annotators": value("int32"),
        "resolution": value("string"),
    }


class HfDatasetWriter:
    """Rows go to one Arrow stream per split under ``workdir``; ``close`` writes the JSON files and
    tars the folder onto ``out``."""

    def __init__(self, out: BinaryIO, ctx: ExportContext, workdir: Path) -> None:
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

        self.out, self.root = out, workdir / "dataset"
        self.schema = _schema(hf_spans=True)
        self.files: dict[str, Any] = {}
        self.writers: dict[str, Any] = {}
        self.counts = dict.fromkeys(SPLITS, 0)
        for split in SPLITS:
            (self.root / split).mkdir(parents=True)
            self.files[split] = pa.OSFile(str(self.root / split / ARROW_FILE), "wb")
            self.writers[split] = pa.ipc.new_stream(self.files[split], self.schema)

    def write_rows(self, rows: Sequence[ExportRow]) -> None:
        by_split: dict[str, list[ExportRow]] = {}
        for r in rows:
            by_split.setdefault(r.split, []).append(r)
        for split, part in by_split.items():
            self.writers[split].write_batch(_batch(part, self.schema, hf_spans=True))
            self.counts[split] += len(part)

    def close(self) -> None:
        for split in SPLITS:
            self.writers[split].close()
            self.files[split].close()
            arrow = self.root / split / ARROW_FILE
            info: dict[str, Any] = {
                "builder_name": "quorum",
                "citation": "",
                "config_name": "default",
                "dataset_name": "quorum",
                "description": "",
                "features": hf_features(),
                "homepage": "",
                "license": "",
                "splits": {
                    split: {
                        "name": split,
                        "num_bytes": arrow.stat().st_size,
                        "num_examples": self.counts[split],
                        "dataset_name": "quorum",
                    }
                },
            }
            state: dict[str, Any] = {
                "_data_files": [{"filename": ARROW_FILE}],
                "_fingerprint": _file_sha(arrow)[:16],
                "_format_columns": None,
                "_format_kwargs": {},
                "_format_type": None,
                "_output_all_columns": False,
                "_split": split,
            }
            _write_json(self.root / split / "dataset_info.json", info)
            _write_json(self.root / split / "state.json", state)
        _write_json(self.root / "dataset_dict.json", {"splits": list(SPLITS)})
        with tarfile.open(fileobj=self.out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(p for p in self.root.rglob("*")):
                rel = path.relative_to(self.root.parent).as_posix()
                member = tarfile.TarInfo(rel)
                member.mtime, member.uid, member.gid, member.uname, member.gname = 0, 0, 0, "", ""
                if path.is_dir():
                    member.type, member.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(member)
                else:
                    member.size, member.mode = path.stat().st_size, 0o644
                    with open(path, "rb") as fh:
                        tar.addfile(member, fh)


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_table(data: bytes) -> Any:
    """A Parquet file's bytes as a pyarrow Table (tests and tools)."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    return pq.read_table(io.BytesIO(data))
