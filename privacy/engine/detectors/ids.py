"""Detectors for national ids (SSN, NINO, DNI/NIE, codice fiscale, BSN, NIR, Steuer-ID) with their checks."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..checksums import (
    bsn_valid,
    codice_fiscale_valid,
    dni_valid,
    nino_valid,
    nir_valid,
    ssn_valid,
    steuer_id_valid,
)
from ..findings import EntityType
from .base import AnchoredRegex, RegexDetector, Validator, words_before

_SSN_GUARD = r"(?<![\w\-/.][0-9])"
_SSN_REST = r"\d{2}(?:(?P<sep>[\- ])\d{2}(?P=sep)\d{4}|\d{6})(?![\w]|[\-/.]\d)"
SSN_WORDS = frozenset({"ssn", "social", "security", "ss", "sozialversicherungsnummer"})


def _ssn(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    d = m.group().replace("-", "").replace(" ", "")
    if not ssn_valid(d[:3], d[3:5], d[5:]):
        return None
    context = not SSN_WORDS.isdisjoint(words_before(text, m.start(), 36))
    sep = m.group("sep")
    if sep is None:
        return (0.9, m.start(), m.end()) if context else None  # nine bare digits need a cue
    score = 0.85 if sep == "-" else 0.65
    return (0.97 if context else score), m.start(), m.end()


NINO_RE = re.compile(r"[A-Z](?<![\w][A-Z])[A-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w])")
_DNI_REST = r"(?:(?<=[0-9])\d{7}|(?<=[XYZ])[ \-]?\d{7})-?[A-HJ-NP-TV-Z](?![\w])"
CF_RE = re.compile(
    r"[A-Z](?<![\w][A-Z])[A-Z]{5}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}"
    r"[A-Z](?![\w])"
)
_NIR_REST = r" ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\w])"
_BSN_REST = r"(?:\d{3}\.\d{2}\.\d{3}|\d{2}[ .]\d{3}[ .]\d{3}|\d{8})(?![\w]|\.\d)"
BSN_WORDS = frozenset({"bsn", "burgerservicenummer", "sofinummer", "sofi"})
_STEUER_REST = r"(?:\d{10}|\d \d{3} \d{3} \d{3})(?![\w]|[ \-/.]\d)"
STEUER_WORDS = frozenset(
    {
        "steuer",
        "steuerid",
        "steueridentifikationsnummer",
        "identifikationsnummer",
        "idnr",
        "tin",
        "tax",
        "steuernummer",
    }
)


def _validated(check: Callable[[str], bool], score: float) -> Validator:
    def validate(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
        if not check(m.group()):
            return None
        return score, m.start(), m.end()

    return validate


def _bsn(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    # One 9-digit number in 11 passes the 11-check by chance, so a BSN needs a cue in the words before.
    if not bsn_valid(m.group().replace(" ", "")) or BSN_WORDS.isdisjoint(words_before(text, m.start(), 40)):
        return None
    return 0.95, m.start(), m.end()


def _steuer(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    if not steuer_id_valid(m.group()):
        return None
    if not STEUER_WORDS.isdisjoint(words_before(text, m.start(), 40)):
        return 0.95, m.start(), m.end()
    return (0.7 if " " in m.group() else 0.45), m.start(), m.end()


# Every probe below needs five more characters of digits, blanks, dots or dashes ("12 34 2A" for a
# Corsican NIR is the shortest): checked once for the five in the numeric scan.
_ID_GATE = r"[\d .\-]{5}"


def id_anchored_detectors() -> list[AnchoredRegex]:
    """The identifiers that start with a digit (or X/Y/Z), for the shared numeric scan."""
    kind = EntityType.NATIONAL_ID
    return [
        AnchoredRegex(
            "us_ssn",
            EntityType.SSN,
            first="[0-9]",
            guard=_SSN_GUARD,
            rest=_SSN_REST,
            probe=r"\d{2}(?:-\d{2}-\d{4}| \d{2} \d{4}|\d{6})(?![\w]|[\-/.]\d)",
            validate=_ssn,
            gate=_ID_GATE,
        ),
        AnchoredRegex(
            "es_dni",
            kind,
            first="[0-9XYZ]",
            guard=r"(?<![\w][0-9XYZ])",
            rest=_DNI_REST,
            probe=_DNI_REST,
            validate=_validated(dni_valid, 0.95),
            gate=_ID_GATE,
        ),
        AnchoredRegex(
            "fr_nir",
            kind,
            first="[1-478]",
            guard=r"(?<![\w][1-478])",
            rest=_NIR_REST,
            probe=_NIR_REST,
            validate=_validated(nir_valid, 0.95),
            gate=_ID_GATE,
        ),
        AnchoredRegex(
            "nl_bsn",
            kind,
            first="[0-9]",
            guard=r"(?<![\w.][0-9])",
            rest=_BSN_REST,
            probe=_BSN_REST,
            validate=_bsn,
            gate=_ID_GATE,
        ),
        AnchoredRegex(
            "de_steuer_id",
            kind,
            first="[1-9]",
            guard=r"(?<![\w+\-/.][1-9])",
            rest=_STEUER_REST,
            probe=_STEUER_REST,
            validate=_steuer,
            gate=_ID_GATE,
        ),
    ]


def id_pattern_detectors() -> list[RegexDetector]:
    """The identifiers that start with letters."""
    kind = EntityType.NATIONAL_ID
    return [
        RegexDetector("uk_nino", kind, NINO_RE, validate=_validated(nino_valid, 0.85)),
        RegexDetector("it_codice_fiscale", kind, CF_RE, validate=_validated(codice_fiscale_valid, 0.97)),
    ]
