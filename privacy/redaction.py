"""The redaction entry point the import pipeline calls before anything is stored.

Foundation scope: e-mail addresses, phone numbers and card-like digit runs are replaced by type
placeholders. The Privacy issue replaces the engine behind ``Redactor`` (names, IBAN, national ids,
pseudonyms by clearance); callers only depend on ``redactor_for_project``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REDACTION_VERSION = 1

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")),
    ("CARD", re.compile(r"\b(?:\d[ \-]?){13,19}\b")),
    ("PHONE", re.compile(r"(?<![\w+])\+?\d[\d ()\-.]{7,}\d\b")),
)


@dataclass(frozen=True)
class Redactor:
    project_id: int

    def redact(self, text: str) -> str:
        if not text:
            return text
        for kind, pattern in _PATTERNS:
            text = pattern.sub(f"<{kind}>", text)
        return text


def redactor_for_project(project_id: int) -> Redactor:
    return Redactor(project_id=project_id)
