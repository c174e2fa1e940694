"""Streaming parsers for JSONL, JSON arrays and CSV. Pure Python, no Django.

Each parser yields ``(line, record)`` where ``record`` is a dict or a ``ParseError``; a multi-GB
file is read in bounded chunks and never sits in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

FORMATS = ("jsonl", "json", "csv")
MAX_LINE_BYTES = 10 * 1024 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ParseError:
    message: str
    fatal: bool = False  # the rest of the file cannot be read past this point


Parsed = tuple[int, "dict[str, Any] | ParseError"]


def detect_format(filename: str) -> str:
    lower = filename.lower()
    for ext, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"), (".csv", "csv")):
        if lower.endswith(ext):
            return fmt
    raise ValueError(f"cannot tell the format of {filename!r}: use .jsonl, .json or .csv")


def iter_records(stream: IO[bytes], fmt: str) -> Iterator[Parsed]:
    if fmt == "jsonl":
        return iter_jsonl(stream)
    if fmt == "json":
        return iter_json_array(stream)
    if fmt == "csv":
        return iter_csv(stream)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def iter_jsonl(stream: IO[bytes]) -> Iterator[Parsed]:
    for line_no, raw in enumerate(stream, start=1):
        if len(raw) > MAX_LINE_BYTES:
            yield line_no, ParseError(f"line longer than {MAX_LINE_BYTES} bytes")
            continue
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            yield line_no, ParseError(f"invalid JSON: {_short(e)}")
            continue
        if not isinstance(value, dict):
            yield line_no, ParseError("each line must be a JSON object")
            continue
        yield line_no, value


def _short(e: Exception) -> str:
    msg = str(e)
    return msg.split(": line ")[0] if ": line " in msg else msg


def iter_json_array(stream: IO[bytes]) -> Iterator[Parsed]:
    """Yield the objects of a top-level JSON array one at a time, with the line each starts on."""
    decoder = json.JSONDecoder()
    reader = codecs.getincrementaldecoder("utf-8")()
    buf = ""
    pos = 0
    line = 1
    eof = False

    def fill() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        chunk = stream.read(_CHUNK)
        if not chunk:
            eof = True
            buf = buf[pos:] + reader.decode(b"", final=True)
        else:
            buf = buf[pos:] + reader.decode(chunk)
        pos = 0
        return True

    def skip_ws() -> str | None:
        nonlocal pos, line
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                if buf[pos] == "\n":
                    line += 1
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if not fill():
                return None

    try:
        if skip_ws() != "[":
            yield line, ParseError("a .json file must hold one array of objects", fatal=True)
            return
        pos += 1
        expect_value = True
        first = True
        while True:
            ch = skip_ws()
            if ch is None:
                yield line, ParseError("unexpected end of file inside the array", fatal=True)
                return
            if ch == "]" and (first or not expect_value):
                return
            if not expect_value:
                if ch != ",":
                    yield line, ParseError(f"expected ',' or ']' but found {ch!r}", fatal=True)
                    return
                pos += 1
                expect_value = True
                continue
            start_line = line
            while True:
                try:
                    value, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError as e:
                    # Possibly a value cut by the chunk boundary: read more and retry.
                    if not eof and len(buf) - pos < MAX_LINE_BYTES and fill():
                        continue
                    yield start_line, ParseError(f"invalid JSON: {e.msg}", fatal=True)
                    return
            line += buf.count("\n", pos, end)
            pos = end
            first = False
            expect_value = False
            if isinstance(value, dict):
                yield start_line, value
            else:
                yield start_line, ParseError("each array element must be a JSON object")
    except UnicodeDecodeError as e:
        yield line, ParseError(f"not UTF-8: {e.reason}", fatal=True)


def iter_csv(stream: IO[bytes]) -> Iterator[Parsed]:
    """Rows become dicts keyed by the header. ``metadata.X`` columns nest under metadata."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (UnicodeDecodeError, csv.Error) as e:
        yield 1, ParseError(f"unreadable header: {e}", fatal=True)
        return
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        yield 1, ParseError("header repeats a column name", fatal=True)
        return
    while True:
        line_no = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as e:
            yield line_no, ParseError(f"not UTF-8: {e.reason}", fatal=True)
            return
        except csv.Error as e:
            yield line_no, ParseError(f"malformed CSV: {e}", fatal=True)
            return
        if not row or row == [""]:
            continue
        if len(row) != len(header):
            yield line_no, ParseError(f"expected {len(header)} columns, found {len(row)}")
            continue
        record: dict[str, Any] = {}
        metadata: dict[str, str] = {}
        for key, value in zip(header, row, strict=True):
            if key.startswith("metadata."):
                metadata[key[len("metadata."):]] = value
            elif value != "":
                record[key] = value
        if metadata:
            record["metadata"] = metadata
        yield line_no, record
