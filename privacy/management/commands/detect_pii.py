"""manage.py detect_pii: JSON lines {"id", "text"} in, one line of PII spans out per line, streaming."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy.engine import CLEARANCES, Finding, Policy, Pseudonymizer, policy_for
from privacy.redaction import Redactor, redactor_for_project


class BadLine(ValueError):
    """An input line that is not an object with an ``id`` and a string ``text``."""


def parse_line(raw: str | bytes) -> tuple[Any, str]:
    """The ``(id, text)`` of one input line, or ``BadLine`` saying what is wrong with it."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise BadLine(f"invalid JSON ({e})") from None
    if not isinstance(record, dict):
        raise BadLine(f"expected a JSON object, got {type(record).__name__}")
    missing = [key for key in ("id", "text") if key not in record]
    if missing:
        raise BadLine(f"missing {' and '.join(repr(k) for k in missing)}")
    text = record["text"]
    if not isinstance(text, str):
        raise BadLine(f"'text' must be a string, got {type(text).__name__}")
    return record["id"], text


def span_record(item_id: Any, findings: list[Finding]) -> dict[str, Any]:
    return {
        "id": item_id,
        "spans": [{"start": f.start, "end": f.end, "type": str(f.type), "score": round(f.score, 4)} for f in findings],
    }


class Command(BaseCommand):
    help = (
        'Detect PII in JSON lines {"id", "text"} read from stdin; write one line per input line: '
        '{"id", "spans": [{"start", "end", "type", "score"}]}, offsets in characters (code points) of '
        'text, and with --policy also "redacted": the text as that clearance level sees it. Streams: each '
        "line is written and flushed as soon as it is read, in constant memory. A bad line is reported on "
        "stderr as stdin:LINE: PROBLEM and skipped (no output line); the command then exits non-zero "
        "after the last line. --strict stops at the first bad line instead."
    )
    # call_command(..., stdin=StringIO(...)) in tests; the command line always reads sys.stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--policy",
            choices=CLEARANCES,
            help="also write the text redacted under this clearance level's policy",
        )
        parser.add_argument(
            "--project",
            type=int,
            default=0,
            help="project id whose pseudonym key --policy standard uses (default 0)",
        )
        parser.add_argument("--strict", action="store_true", help="stop at the first bad line")

    def handle(self, *args: Any, **options: Any) -> None:
        redactor = redactor_for_project(options["project"])
        policy = policy_for(options["policy"]) if options["policy"] else None
        write = _line_writer(options.get("stdout") or sys.stdout)
        stdin = options.get("stdin") or sys.stdin
        # Bytes from a real stdin: orjson then checks the UTF-8 of each line, so a bad byte is that
        # line's error, not a decoding failure that ends the stream.
        lines: Iterable[str | bytes] = getattr(stdin, "buffer", stdin)
        bad = 0
        try:
            for line_no, raw in enumerate(lines, start=1):
                if not raw.strip():
                    continue  # blank lines (a trailing newline, a separator) carry no item
                try:
                    item_id, text = parse_line(raw)
                except BadLine as e:
                    message = f"stdin:{line_no}: {e}"
                    if options["strict"]:
                        raise CommandError(message) from None
                    self.stderr.write(message)
                    bad += 1
                    continue
                write(orjson.dumps(self._record(redactor, policy, item_id, text)))
        except BrokenPipeError:  # the reader went away (`| head`): nothing more to do
            return
        if bad:
            raise CommandError(f"{bad} bad input line(s); see the messages above")

    def _record(self, redactor: Redactor, policy: Policy | None, item_id: Any, text: str) -> dict[str, Any]:
        findings = redactor.detect(text)
        record = span_record(item_id, findings)
        if policy is not None:
            # Pseudonyms are numbered per text, as Redactor.redact_for numbers them: a shared numbering
            # would grow with the input, and the command must run in constant memory.
            pseudonymizer = Pseudonymizer(redactor.pseudonym_key) if policy.changes_text else None
            record["redacted"] = policy.apply(text, findings, pseudonymizer) if pseudonymizer else text
        return record


def _line_writer(stream: Any) -> Callable[[bytes], None]:
    """Writes one JSON line and flushes: bytes to a real stdout, text to a text stream (tests)."""
    binary = getattr(stream, "buffer", None)
    if binary is not None:

        def write_bytes(line: bytes) -> None:
            binary.write(line + b"\n")
            binary.flush()

        return write_bytes

    def write_text(line: bytes) -> None:
        stream.write(line.decode() + "\n")
        stream.flush()

    return write_text
