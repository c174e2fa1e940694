"""manage.py detect_pii: spans and offsets, redacted views, bad-line errors, streaming, the real process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
EMAIL_PHONE = "Hi, this is Jane Doe. Mail jane.doe@example.com or call +44 7700 900123 today."


@dataclass
class Run:
    records: list[dict[str, Any]]
    stderr: str
    error: CommandError | None


def run(lines: list[str] | Any, *args: str) -> Run:
    """detect_pii over ``lines`` (a list of lines, or any stdin object): its output, stderr and error."""
    stdin = io.StringIO("".join(line + "\n" for line in lines)) if isinstance(lines, list) else lines
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("detect_pii", *args, stdin=stdin, stdout=out, stderr=err)
    except CommandError as e:
        error = e
    return Run([json.loads(x) for x in out.getvalue().splitlines()], err.getvalue(), error)


def line(item_id: Any, text: Any) -> str:
    return json.dumps({"id": item_id, "text": text}, ensure_ascii=False)


def spans_by_value(text: str, record: dict[str, Any]) -> dict[str, tuple[str, int, int]]:
    return {text[s["start"] : s["end"]]: (s["type"], s["start"], s["end"]) for s in record["spans"]}


def test_email_and_phone_types_and_offsets() -> None:
    result = run([line("a1", EMAIL_PHONE)])
    assert result.stderr == "" and result.error is None
    [record] = result.records
    assert record["id"] == "a1"
    assert set(record) == {"id", "spans"}  # no "redacted" without --policy
    email = EMAIL_PHONE.index("jane.doe@example.com")
    phone = EMAIL_PHONE.index("+44 7700 900123")
    found = {(s["type"], s["start"], s["end"]) for s in record["spans"]}
    assert ("EMAIL", email, email + len("jane.doe@example.com")) in found
    assert ("PHONE", phone, phone + len("+44 7700 900123")) in found
    for s in record["spans"]:
        assert set(s) == {"start", "end", "type", "score"}
        assert 0 < s["score"] <= 1
    assert [s["start"] for s in record["spans"]] == sorted(s["start"] for s in record["spans"])


def test_offsets_are_code_points_of_non_ascii_text_and_ids_echo_verbatim() -> None:
    text = "Grüße 👋 — schreib an jürgen.weiß@example.de, Karte 4111 1111 1111 1111."
    records = run([line(7, text), line({"doc": "x"}, "nothing to see here"), line("e", "")]).records
    assert [r["id"] for r in records] == [7, {"doc": "x"}, "e"]
    assert spans_by_value(text, records[0]) == {
        "jürgen.weiß@example.de": ("EMAIL", text.index("jürgen"), text.index(",")),
        "4111 1111 1111 1111": ("CARD", text.index("4111"), len(text) - 1),
    }
    assert records[1]["spans"] == [] and records[2]["spans"] == []


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("restricted", "Hi, this is <PERSON>. Mail <EMAIL> or call <PHONE> today."),
        ("standard", "Hi, this is <PERSON_1>. Mail <EMAIL_1> or call <PHONE_1> today."),
        ("internal", EMAIL_PHONE),
    ],
)
def test_policy_adds_the_redacted_view(policy: str, expected: str) -> None:
    [record] = run([line(1, EMAIL_PHONE)], "--policy", policy).records
    assert record["redacted"] == expected
    assert {s["type"] for s in record["spans"]} >= {"EMAIL", "PHONE"}


def test_standard_policy_never_pseudonymizes_a_card() -> None:
    text = "Charge 4111 1111 1111 1111 for Jane Doe"
    [record] = run([line(1, text)], "--policy", "standard", "--project", "5").records
    assert record["redacted"] == "Charge <CARD> for <PERSON_1>"


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(CommandError, match="--policy"):
        call_command("detect_pii", "--policy", "public", stdin=io.StringIO(""), stdout=io.StringIO())


def test_bad_lines_are_named_skipped_and_fail_the_run_at_the_end() -> None:
    lines = [
        line("ok1", "mail a.b@example.org"),
        '{"id": 2, "text": "unterminated',
        json.dumps({"id": 3}),
        json.dumps({"text": "no id"}),
        json.dumps({"id": 5, "text": 42}),
        json.dumps(["id", "text"]),
        "",  # blank: skipped silently, but still counted as a line
        line("ok8", "nothing"),
    ]
    result = run(lines)
    assert result.error is not None and "5 bad input line(s)" in str(result.error)
    assert [r["id"] for r in result.records] == ["ok1", "ok8"]
    messages = result.stderr.splitlines()
    assert len(messages) == 5
    assert messages[0].startswith("stdin:2: invalid JSON")
    assert messages[1] == "stdin:3: missing 'text'"
    assert messages[2] == "stdin:4: missing 'id'"
    assert messages[3] == "stdin:5: 'text' must be a string, got int"
    assert messages[4] == "stdin:6: expected a JSON object, got list"


def test_strict_stops_at_the_first_bad_line() -> None:
    lines = [line(1, "a"), "not json", line(3, "mail a.b@example.org")]
    result = run(lines, "--strict")
    assert result.error is not None and str(result.error).startswith("stdin:2: invalid JSON")
    assert [r["id"] for r in result.records] == [1]
    assert result.stderr == ""


def test_invalid_utf8_on_a_binary_stdin_is_that_lines_error() -> None:
    raw = (
        b'{"id": 1, "text": "caf\xc3\xa9 a.b@example.org"}\n'
        b'{"id": 2, "text": "bad \xff byte"}\n'
        b'{"id": 3, "text": "ok"}\n'
    )
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    result = run(stdin)
    assert result.error is not None and "1 bad input line(s)" in str(result.error)
    assert [r["id"] for r in result.records] == [1, 3]
    assert result.records[0]["spans"][0]["start"] == len("café ")  # characters, not bytes
    assert result.stderr.startswith("stdin:2: invalid JSON")


class FlushRecordingIO(io.StringIO):
    """A stdout that remembers how many lines it held when last flushed."""

    flushed_lines = 0

    def flush(self) -> None:
        self.flushed_lines = len(self.getvalue().splitlines())
        super().flush()


def test_streams_each_line_out_and_flushes_before_reading_the_next() -> None:
    out = FlushRecordingIO()

    def stdin() -> Iterator[str]:
        for i in range(1, 4):
            # A command that read all of stdin before writing would find nothing flushed here at i = 2.
            assert out.flushed_lines == i - 1, "the previous line was not written and flushed yet"
            yield line(i, f"write to user{i}@example.org") + "\n"

    call_command("detect_pii", stdin=stdin(), stdout=out, stderr=io.StringIO())
    records = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [(r["id"], r["spans"][0]["type"]) for r in records] == [(1, "EMAIL"), (2, "EMAIL"), (3, "EMAIL")]


@pytest.mark.slow
def test_the_real_command_reads_stdin_writes_stdout_and_exits_non_zero_on_bad_lines() -> None:
    stdin = (line("a", EMAIL_PHONE) + "\n{oops\n" + line("b", "none") + "\n").encode()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "detect_pii", "--policy", "restricted"],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ},
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    records = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [r["id"] for r in records] == ["a", "b"]
    assert records[0]["redacted"] == "Hi, this is <PERSON>. Mail <EMAIL> or call <PHONE> today."
    assert "stdin:2: invalid JSON" in proc.stderr.decode()
