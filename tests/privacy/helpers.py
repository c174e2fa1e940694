"""Helpers shared by the privacy tests: find what the engine detects and the text it covers."""

from __future__ import annotations

from privacy.engine import EntityType, detect


def spans(text: str) -> list[tuple[str, str]]:
    """(type, covered text) of every finding of the default engine, in order."""
    return [(str(f.type), text[f.start : f.end]) for f in detect(text)]


def found(text: str, kind: EntityType, value: str) -> bool:
    """Whether ``value`` in ``text`` is covered by one finding of ``kind``."""
    start = text.index(value)
    end = start + len(value)
    return any(f.type == kind and f.start <= start and f.end >= end for f in detect(text))


def hidden(text: str, value: str) -> bool:
    """Whether every character of ``value`` in ``text`` is inside some finding."""
    start = text.index(value)
    covered = [False] * len(value)
    for f in detect(text):
        for i in range(max(f.start, start), min(f.end, start + len(value))):
            covered[i - start] = True
    return all(covered)
