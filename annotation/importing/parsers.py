"""Streaming parsers for JSONL, JSON arrays and CSV. Pure Python, no Django.

Each parser yields ``(line, record)`` where ``record`` is a dict or a ``ParseError``; a multi-GB
file is read in bounded chunks and never sits in memory.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

FORMATS = ("jsonl", "json", "csv")
MAX_LINE_BYTES = 10 * 1024 * 1024
_CHUNK = 1 << 20
# Byte-order marks: UTF-8's is skipped (spreadsheets write it); the others name the encoding to fix.
_FOREIGN_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"
# A CSV field may be as long as a line (the csv module's default is 128 KiB, below MAX_TEXT).
csv.field_size_limit(MAX_LINE_BYTES)


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
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return _iter_records(stream, fmt)


def _iter_records(stream: IO[bytes], fmt: str) -> Iterator[Parsed]:
    error = skip_utf8_bom(stream)
    if error is not None:
        yield 1, error
        return
    if fmt == "jsonl":
        yield from iter_jsonl(stream)
    elif fmt == "json":
        yield from iter_json_array(stream)
    else:
        yield from iter_csv(stream)


def skip_utf8_bom(stream: IO[bytes]) -> ParseError | None:
    """Step over a UTF-8 byte-order mark; a fatal error for a file that is UTF-16 or UTF-32."""
    if not stream.seekable():
        return None
    start = stream.tell()
    head = stream.read(4)
    for bom, name in _FOREIGN_BOMS:
        if head.startswith(bom):
            return ParseError(f"the file is {name} text (byte-order mark); save it as UTF-8", fatal=True)
    if len(head) >= 2 and b"\x00" in head[:2] and head.strip(b"\x00"):
        return ParseError("the file is not UTF-8 text (NUL bytes at its start: UTF-16?); save it as UTF-8", fatal=True)
    stream.seek(start + (len(_UTF8_BOM) if head.startswith(_UTF8_BOM) else 0))
    return None


def iter_jsonl(stream: IO[bytes]) -> Iterator[Parsed]:
    line_no = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):  # bounded: a line is never read whole past the limit
        line_no += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of it
                raw = stream.readline(_CHUNK)
            yield line_no, ParseError(f"the line is longer than {MAX_LINE_BYTES:,} bytes")
            continue
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            yield line_no, ParseError(_not_utf8(raw) or f"invalid JSON: {_short(e)}")
            continue
        if not isinstance(value, dict):
            yield line_no, ParseError("each line must be a JSON object")
            continue
        yield line_no, value


def _short(e: Exception) -> str:
    msg = str(e)
    msg = msg.split(": line ")[0] if ": line " in msg else msg
    return "nested too deeply" if "recursion" in msg else msg


def _not_utf8(raw: bytes) -> str | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"not UTF-8: {e.reason} (byte {e.start + 1} of the line)"
    return None


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
                    # An error at the end of what is read (or an open string) may be a value cut by
                    # the chunk boundary: read more and retry, up to the limit. Any other is the file's.
                    cut = not eof and (e.pos >= len(buf) - 16 or e.msg.startswith("Unterminated string"))
                    if cut and len(buf) - pos < MAX_LINE_BYTES and fill():
                        continue
                    if cut:  # bounded memory: a value is never read whole past the limit
                        at, message = start_line, f"an array element is longer than {MAX_LINE_BYTES:,} bytes"
                    else:
                        at, message = start_line + buf.count("\n", pos, max(pos, e.pos)), f"invalid JSON: {e.msg}"
                    yield at, ParseError(message, fatal=True)
                    return
                except RecursionError:
                    yield start_line, ParseError("invalid JSON: nested too deeply", fatal=True)
                    return
                except ValueError as e:  # e.g. an integer of more digits than Python converts
                    yield start_line, ParseError(f"invalid JSON: {e}", fatal=True)
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


class _BadLine(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _csv_lines(stream: IO[bytes]) -> Iterator[str]:
    """Physical lines, decoded one at a time: an error names its line, and a line is never read
    whole past MAX_LINE_BYTES."""
    line_no = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        line_no += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise _BadLine(line_no, f"the line is longer than {MAX_LINE_BYTES:,} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _BadLine(line_no, f"not UTF-8: {e.reason} (byte {e.start + 1} of the line)") from None
        yield text.removeprefix("\ufeff") if line_no == 1 else text


def iter_csv(stream: IO[bytes]) -> Iterator[Parsed]:
    """Rows become dicts keyed by the header. ``metadata.X`` columns nest under metadata."""
    reader = csv.reader(_csv_lines(stream))
    try:
        header = next(reader)
    except StopIteration:
        return
    except _BadLine as e:
        yield e.line, ParseError(e.message, fatal=True)
        return
    except csv.Error as e:
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
        except _BadLine as e:
            yield e.line, ParseError(e.message, fatal=True)
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
