"""Detector for dates of birth: a date with a birth cue ("born", "DOB", "geb.", "né le", ...) near it.

Dates are found from their digits (every format has one), then the words around them are checked.
"""

from __future__ import annotations

import re

from ..findings import EntityType, Finding
from .base import any_of, lowered, word_set, words_after, words_before

_MONTH_WORDS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "januar jänner februar märz maerz mai juni juli oktober dezember "
    "janvier février fevrier mars avril juin juillet août aout septembre octobre novembre décembre decembre "
    "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre "
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre "
    "januari februari maart mei augustus "
    "janeiro fevereiro março maio junho julho setembro outubro novembro dezembro"
)
MONTHS = frozenset(_MONTH_WORDS.split())
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d{2}"

DATE_RE = re.compile(
    rf"[0-9](?<![\w.\-/][0-9])(?:"
    rf"\d?(?P<sep>[./\-])\d{{1,2}}(?P=sep)(?:{_YEAR}|\d{{2}})"  # 12/03/1985, 12.03.85
    rf"|(?<=[12])\d{{3}}(?P<isep>[./\-])\d{{1,2}}(?P=isep)\d{{1,2}}"  # 1985-03-12
    rf"|\d?(?:st|nd|rd|th|er|\.|º|°)?[ \t]+(?:de[ \t]+|of[ \t]+)?{any_of(_MONTH_ALT)}\.?,?[ \t]+"
    rf"(?:de[ \t]+)?{_YEAR}"
    rf"|(?P<md>\d?(?:st|nd|rd|th)?,?[ \t]+{_YEAR})"  # (March) 12, 1985: the month is checked before it
    rf")(?![\w]|[./\-]\d)"
)
# How every ``DATE_RE`` match starts: digits, a separator and a digit ("12/", "1985-0"), or digits, blanks
# and a letter (a month, "de", "of") or a year. Searching for it is much cheaper than looking for cues.
_DATE_START = re.compile(
    r"[0-9](?<![\w.\-/][0-9])(?:\d{0,3}[./\-]\d|\d?(?:st|nd|rd|th|er|\.|º|°)?,?[ \t]+(?:[^\W\d_]|(?:19|20)\d\d))"
)
_MONTH_BEFORE = re.compile(r"([^\W\d_]+)\.?[ \t]+$")
CUE_WORDS = word_set("""
born birth birthday bday birthdate dob geb geboren geburtsdatum geburtstag né née naissance
nacimiento nacido nacida nac nato nata nascita geboortedatum nascimento nascido nascida aniversário
cumpleaños födelsedatum fødselsdato syntymäaika urodzenia urodzony urodzona
""")
_AFTER_CUES = frozenset(
    {"geboren", "born", "nato", "nata", "né", "née", "nacido", "nacida", "urodzony", "urodzona"}
)


# Where a cue can start (on the lower-cased text); most texts hold none, so most texts cost a few finds.
_NEEDLES = (
    "born",
    "birth",
    "bday",
    "dob",
    "d.o.b",
    "geb",
    "né",
    "nee",
    "naissance",
    "nacimiento",
    "nacid",
    "nac.",
    "nato",
    "nata",
    "nascita",
    "geboorte",
    "nascimento",
    "nascid",
    "aniversário",
    "cumpleaños",
    "födelse",
    "fødsel",
    "syntymä",
    "urodz",
)
_CUE_WINDOW = 44
# The first character of every needle (so overlapping needles are all found), in one scan.
_CUE_START = re.compile(
    "|".join(
        re.escape(first) + "(?=" + "|".join(re.escape(n[1:]) for n in _NEEDLES if n[0] == first) + ")"
        for first in dict.fromkeys(n[0] for n in _NEEDLES)
    )
)


class DateOfBirthDetector:
    name = "date_of_birth"

    def find(self, text: str) -> list[Finding]:
        if _DATE_START.search(text) is None:
            return []  # no date (most texts): no need to look for cues
        low = lowered(text)
        if low is None:
            return self._scan_all(text)
        found: list[Finding] = []
        seen: set[int] = set()
        for cue in _CUE_START.finditer(low):
            lo, hi = max(0, cue.start() - 32), min(len(text), cue.start() + _CUE_WINDOW + 24)
            for m in DATE_RE.finditer(text, lo, hi):
                if m.start() in seen:
                    continue
                finding = self._check(text, m)
                if finding is not None:
                    seen.add(m.start())
                    found.append(finding)
        return found

    def _scan_all(self, text: str) -> list[Finding]:
        checked = (self._check(text, m) for m in DATE_RE.finditer(text))
        return [f for f in checked if f is not None]

    @staticmethod
    def _check(text: str, m: re.Match[str]) -> Finding | None:
        start = m.start()
        if m.group("md") is not None:
            month = _MONTH_BEFORE.search(text, max(0, start - 16), start)
            if month is None or month.group(1).lower() not in MONTHS:
                return None
            start = month.start()
        before = words_before(text, start, _CUE_WINDOW)
        if (
            CUE_WORDS.isdisjoint(before)
            and "d.o.b" not in text[max(0, start - 24) : start].lower()
            and _AFTER_CUES.isdisjoint(words_after(text, m.end(), 20))
        ):
            return None
        return Finding(EntityType.DOB, start, m.end(), 0.9, "date_of_birth")


def dob_detector() -> DateOfBirthDetector:
    return DateOfBirthDetector()
