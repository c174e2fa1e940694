"""``BuiltinScan``: every built-in detector in one call, each behind a cheap necessary condition.

Most texts hold little or nothing to find, and calling twenty detectors that each find nothing costs more
than detecting. So the scan first asks the text a few questions answered in C (``"@" in text``, a digit,
a ":"), and runs a detector only where its gate holds. A gate is a *necessary* condition (every match of
the detector's pattern needs it), never a heuristic, so the findings are exactly those of running every
detector on every text (``tests/privacy/test_scan.py`` checks it). Detectors run in a fixed order and
their findings are appended in that order (overlap resolution breaks ties by it).

Gates:

* a digit (``\\d``, any script): the numeric scan (every anchored pattern holds one), IBANs and UK NINOs
  (``\\d{2}``), dates of birth (a date);
* two capitals at a word start followed by two digits or four capitals (``_CAPITALS_ID``): IBANs, NINOs
  (which need a digit too), Italian codice fiscale (which needs nine capitals);
* "@": e-mail addresses; for @handles, an "@" that is not right after a word character;
* ":" (two of them, or "::"): IPv6;
* "/": personal URLs;
* for secrets, one of a few substrings that every secret pattern holds, then each pattern's own
  ``requires`` and needles ("AKIA", "ghp_", "sk-", ...);
* none here for key/value pairs and dates of birth, which gate themselves (on a separator, on a date
  shape), and for names.
"""

from __future__ import annotations

import re

from ..findings import Finding
from .base import Anchored, Detector, RegexDetector
from .contact import (
    EmailDetector,
    Ipv6Detector,
    PersonalUrlDetector,
    email_detector,
    handle_detector,
    ipv4_detector,
    ipv6_detector,
    phone_detector,
)
from .credentials import KeyValueDetector, secret_detectors
from .dob import DateOfBirthDetector, dob_detector
from .financial import card_detector, iban_detector
from .ids import id_anchored_detectors, id_pattern_detectors
from .location import address_detectors, gps_detectors
from .names import NameDetector
from .numeric import NumericScan

# A digit outside ASCII (Arabic-Indic, Devanagari, fullwidth, ...): the class skips ASCII characters fast.
_NON_ASCII_DIGIT = re.compile(r"[^\x00-\x7f](?<=\d)")
# How every IBAN, UK NINO and codice fiscale starts: two capitals at a word start, then two digits (maybe
# after a space) or four more capitals. One search gates the three patterns.
_CAPITALS_ID = re.compile(r"[A-Z](?<![\w][A-Z])[A-Z](?: ?\d\d|[A-Z]{4})")


def anchored_detectors() -> list[Anchored]:
    """Detectors anchored on a digit (or +, (, -, X/Y/Z); they share one ``NumericScan``.

    The order matters for speed only: rare shapes first, then phones, then house numbers (commonest).
    """
    number_first_address, street_first_address = address_detectors()
    return [
        card_detector(),
        ipv4_detector(),
        *id_anchored_detectors(),
        *gps_detectors(),
        number_first_address,
        phone_detector(),
        street_first_address,
    ]


def has_digit(text: str) -> bool:
    """Whether ``text`` holds a decimal digit of any script (what ``\\d`` matches)."""
    if (
        "0" in text
        or "1" in text
        or "2" in text
        or "3" in text
        or "4" in text
        or "5" in text
        or "6" in text
        or "7" in text
        or "8" in text
        or "9" in text
    ):
        return True
    if text.isascii() or len(text.encode("latin-1", "ignore")) == len(text):
        return False  # Latin-1 has no other decimal digit
    return _NON_ASCII_DIGIT.search(text) is not None


_NOT_ASCII_UPPER = bytes(b for b in range(256) if not 65 <= b <= 90)


def upper_count(text: str) -> int:
    """How many ASCII capitals ``text`` holds (counted in C: encode, then bytes.translate deletes the rest)."""
    return len(text.encode("ascii", "ignore").translate(None, _NOT_ASCII_UPPER))


def _may_start_handle(text: str) -> bool:
    """Whether an "@" starts a handle: ``HANDLE_RE`` needs one not after a word character or "@.+-/"."""
    pos = text.find("@")
    while pos >= 0:
        if pos == 0:
            return True
        before = text[pos - 1]
        if not (before.isalnum() or before in "_@.+-/"):
            return True
        pos = text.find("@", pos + 1)
    return False


def _may_hold_secret(text: str) -> bool:
    """Every secret pattern holds one of these: "A" (AKIA..., AIza), "_" (ghp_, github_pat_, _live_,
    _test_), "sk-", "-----" (a private key), "xox" (Slack), "eyJ" (JWT), "://" (DSN, Slack webhook)."""
    return (
        "_" in text
        or "A" in text
        or "://" in text
        or "sk-" in text
        or "xox" in text
        or "eyJ" in text
        or "-----" in text
    )


class BuiltinScan:
    """The built-in detectors, gated; ``Engine()`` uses it. ``detectors`` lists them in running order."""

    name = "builtin"

    def __init__(self) -> None:
        self.numeric = NumericScan(anchored_detectors())
        self.email: EmailDetector = email_detector()
        self.iban = iban_detector()
        self.ipv6: Ipv6Detector = ipv6_detector()
        self.nino, self.codice_fiscale = id_pattern_detectors()
        self.dob: DateOfBirthDetector = dob_detector()
        self.handle = handle_detector()
        self.key_value = KeyValueDetector()
        self.url = PersonalUrlDetector()
        self.secrets: tuple[RegexDetector, ...] = tuple(secret_detectors())
        self.names = NameDetector()

    @property
    def detectors(self) -> list[Detector]:
        """The same detectors, one by one, in the order ``find`` runs them (ungated)."""
        return [
            self.numeric,
            self.email,
            self.iban,
            self.ipv6,
            self.nino,
            self.codice_fiscale,
            self.dob,
            self.handle,
            self.key_value,
            self.url,
            *self.secrets,
            self.names,
        ]

    def find(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        digit = has_digit(text)
        at = "@" in text
        if digit:
            found += self.numeric.find(text)
        if at:
            found += self.email.find(text)
        # IBANs and NINOs need a digit, a codice fiscale nine capitals; all start as _CAPITALS_ID says.
        codice_fiscale = upper_count(text) >= 9
        capitals_id = (digit or codice_fiscale) and _CAPITALS_ID.search(text) is not None
        if capitals_id and digit:
            found += self.iban.scan(text)
        if ":" in text:
            found += self.ipv6.find(text)
        if capitals_id and digit:
            found += self.nino.scan(text)
        if capitals_id and codice_fiscale:
            found += self.codice_fiscale.scan(text)
        if digit:
            found += self.dob.find(text)
        if at and _may_start_handle(text):
            found += self.handle.scan(text)
        found += self.key_value.find(text)
        if "/" in text:
            found += self.url.find(text)
        if _may_hold_secret(text):
            for secret in self.secrets:
                if secret.requires in text and secret.possible(text):
                    found += secret.scan(text)
        found += self.names.find(text)
        return found
