"""The detector protocol, a regex-backed detector, and shared character classes and helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol

from ..findings import EntityType, Finding


class Detector(Protocol):
    """Anything with a ``name`` that returns (or yields) the findings for a text."""

    name: str

    def find(self, text: str) -> Iterable[Finding]: ...


# A validator sees the match and returns a score (or None to reject it) and the span to report.
Validator = Callable[[str, "re.Match[str]"], "tuple[float, int, int] | None"]


class RegexDetector:
    """One precompiled pattern; every match is scored (or rejected) by an optional validator."""

    def __init__(
        self,
        name: str,
        kind: EntityType,
        pattern: re.Pattern[str],
        *,
        score: float = 0.9,
        group: int | str = 0,
        validate: Validator | None = None,
        needles: tuple[str, ...] = (),
        requires: str = "",
    ) -> None:
        self.name = name
        self.kind = kind
        self.pattern = pattern
        self.score = score
        self.group = group
        self.validate = validate
        self.needles = needles  # if given, a match needs one of them in the text (a cheap gate)
        self.requires = requires  # if given, every match holds it (checked first: one "in" test)

    def possible(self, text: str) -> bool:
        """Whether ``text`` passes the gates: it holds ``requires`` and one of the needles."""
        if self.requires and self.requires not in text:
            return False
        return not self.needles or any(needle in text for needle in self.needles)

    def find(self, text: str) -> list[Finding]:
        if not self.possible(text):
            return []
        return self.scan(text)

    def scan(self, text: str) -> list[Finding]:
        """Every match, without the gates (the caller has checked them)."""
        found: list[Finding] = []
        kind, name, group, validate = self.kind, self.name, self.group, self.validate
        for m in self.pattern.finditer(text):
            if validate is None:
                found.append(Finding(kind, m.start(group), m.end(group), self.score, name))
                continue
            verdict = validate(text, m)
            if verdict is not None:
                score, start, end = verdict
                found.append(Finding(kind, start, end, score, name))
        return found


Reading = tuple[float, int, int]  # (score, start, end) of one way to read a candidate


def disjoint_from_best(
    kind: EntityType, detector: str, readings: list[Reading], more: Iterable[Reading] = ()
) -> tuple[Finding, ...]:
    """The findings of the readings of one candidate run: the best reading (the first one on a tie), and
    as ``fallback`` findings the other readings, and ``more``, that do not overlap it.

    The others can only be other values in the same run ("a card, 2024, then a phone"), which no other
    anchor reaches. As fallbacks they never displace a finding: they only hide what nothing else covers.
    """
    if not more and len(readings) < 2:
        if not readings:
            return ()
        score, start, end = readings[0]
        return (Finding(kind, start, end, score, detector),)
    found: list[Finding] = []
    lo = hi = 0  # the best reading's span (empty without readings: every other one is then apart from it)
    if readings:
        best = readings[0]
        for reading in readings[1:]:
            if reading[0] > best[0]:
                best = reading
        found.append(Finding(kind, best[1], best[2], best[0], detector))
        lo, hi = best[1], best[2]
    for score, start, end in (*readings, *more):
        if end <= lo or start >= hi:
            found.append(Finding(kind, start, end, score, detector, fallback=True))
    return tuple(found)


class Anchored(Protocol):
    """A detector whose matches start with one character of ``first`` (a regex class).

    ``guard`` is checked right after that character (lookbehinds of fixed width, e.g. "not after a word
    character"); ``probe`` is a cheap necessary condition on what follows. ``NumericScan`` evaluates the
    guards and probes of many anchored detectors in one pass and calls ``at`` only where a probe holds.
    """

    name: str
    first: str
    guard: str
    probe: str

    def at(self, text: str, start: int) -> tuple[Finding, ...]: ...


# Every anchored match: not right after a word character, and not inside a number written in groups
# ("9509 0968 5023 1494" must not yield a phone "0968 5023 1494"; "qty 2 4111 1111 ..." still works).
# Written as lookbehinds that run right after the first character.
COMMON_GUARD = r"(?<!\w.)(?<!\d\d\d[ \-.][0-9])"


class AnchoredRegex:
    """A regex detector in anchored form: the pattern is ``first + guard + rest``."""

    def __init__(
        self,
        name: str,
        kind: EntityType,
        *,
        first: str,
        guard: str,
        rest: str,
        probe: str | None = None,
        score: float = 0.9,
        group: int | str = 0,
        validate: Validator | None = None,
        flags: int = 0,
        gate: str | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.first = first
        self.guard = guard
        self.gate = gate  # a cheap necessary condition of the probe, shared with neighbours in NumericScan
        self.probe = probe if probe is not None else rest
        self.pattern = re.compile(first + guard + rest, flags)
        self.score = score
        self.group = group
        self.validate = validate
        self._anchors = re.compile(f"{first}{COMMON_GUARD}{guard}(?={self.probe})")

    def at(self, text: str, start: int) -> tuple[Finding, ...]:
        m = self.pattern.match(text, start)
        if m is None:
            return ()
        if self.validate is None:
            return (Finding(self.kind, m.start(self.group), m.end(self.group), self.score, self.name),)
        verdict = self.validate(text, m)
        if verdict is None:
            return ()
        score, s, e = verdict
        return (Finding(self.kind, s, e, score, self.name),)

    def find(self, text: str) -> list[Finding]:
        """Standalone use (tests, one-off scans); the engine runs it inside ``NumericScan`` instead."""
        return [f for m in self._anchors.finditer(text) for f in self.at(text, m.start())]


def _char_class(predicate: Callable[[str], bool], ranges: tuple[tuple[int, int], ...]) -> str:
    """A regex character class of every code point in ``ranges`` that satisfies ``predicate``."""
    points = [cp for lo, hi in ranges for cp in range(lo, hi + 1) if predicate(chr(cp))]
    parts: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        lo, hi = chr(points[i]), chr(points[j])
        parts.append(re.escape(lo) if i == j else f"{re.escape(lo)}-{re.escape(hi)}")
        i = j + 1
    return "[" + "".join(parts) + "]"


_SCRIPTS = ((0x41, 0x5A), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x52F), (0x1E00, 0x1EFF))

# Upper-case letters of the Latin, Greek and Cyrillic scripts (Python's ``re`` has no \p{Lu}).
UPPER = _char_class(str.isupper, _SCRIPTS)
# Any letter (Unicode-aware in ``re`` for str patterns).
LETTER = r"[^\W\d_]"


def any_of(alternatives: str) -> str:
    """``(?i:alternatives)`` behind a lookahead on their first characters.

    It matches exactly what ``(?i:alternatives)`` matches, but ``re`` rejects a position with one class
    test instead of trying every case-insensitive alternative (it has no fast path for those). The
    alternatives must be flat (no "|" inside groups) and start with a literal character.
    """
    firsts: dict[str, None] = {}
    for alternative in alternatives.split("|"):
        first = alternative[1] if alternative.startswith("\\") else alternative[0]
        if not alternative or (first in "([.^$" and not alternative.startswith("\\")):
            raise ValueError(f"an alternative must start with a literal: {alternative!r}")
        firsts[first] = None
    return f"(?=(?i:[{re.escape(''.join(firsts))}]))(?i:{alternatives})"


def word_set(blob: str) -> frozenset[str]:
    """A set of the whitespace-separated words of ``blob`` (keeps long word lists readable)."""
    return frozenset(blob.split())


_WORD = re.compile(r"[^\W\d_]+")
# Tried at word starts only (a match starting inside a word also matches from the word's start, which
# is further left); searched in a slice, so a word cut by the window's left edge starts at the edge.
_LAST_WORD = re.compile(r"(?<![^\W\d_])([^\W\d_]+)[^\w\n]{0,6}$")

# ASCII fast paths (most context windows are ASCII): there, ``[^\W\d_]`` is [A-Za-z] and ``\w`` is
# [A-Za-z0-9_], so str methods (translate, split, rstrip) give what the regexes give, several times faster.
_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# A bytes table: ASCII letters to lower case, every other byte to a space.
_ASCII_LOWER_LETTERS_ONLY = bytes(
    ord(chr(b).lower()) if chr(b) in _ASCII_LETTERS else ord(" ") for b in range(256)
)
_ASCII_NON_WORD = "".join(chr(cp) for cp in range(128) if not (chr(cp).isalnum() or chr(cp) in "_\n"))


def _words(segment: str) -> list[str]:
    r"""The lower-cased ``[^\W\d_]+`` runs of ``segment``."""
    if segment.isascii():
        return segment.encode("ascii").translate(_ASCII_LOWER_LETTERS_ONLY).decode("ascii").split()
    return [w.lower() for w in _WORD.findall(segment)]


def words_before(text: str, start: int, window: int = 40) -> list[str]:
    """The lower-cased words in the ``window`` characters before ``start``, on the same line."""
    lo = max(0, start - window)
    nl = text.rfind("\n", lo, start)
    return _words(text[nl + 1 if nl >= 0 else lo : start])


def words_after(text: str, end: int, window: int = 24) -> list[str]:
    """The lower-cased words in the ``window`` characters after ``end``, on the same line."""
    hi = min(len(text), end + window)
    nl = text.find("\n", end, hi)
    return _words(text[end : nl if nl >= 0 else hi])


def last_word(text: str, start: int) -> str:
    """The lower-cased word right before ``start`` (only punctuation and spaces between), or ""."""
    segment = text[max(0, start - 30) : start]
    if not segment.isascii():
        m = _LAST_WORD.search(segment)
        return m.group(1).lower() if m else ""
    if segment.endswith("\n"):
        segment = segment[:-1]  # ``$`` also matches before a final newline
    head = segment.rstrip(_ASCII_NON_WORD)
    if len(segment) - len(head) > 6 or not head or head[-1] not in _ASCII_LETTERS:
        return ""
    return head[len(head.rstrip(_ASCII_LETTERS)) :].lower()


def lowered(text: str) -> str | None:
    """``text.lower()`` when it keeps every offset (a few characters, like "İ", lower to two)."""
    low = text.lower()
    return low if len(low) == len(text) else None
