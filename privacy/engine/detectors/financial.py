"""Detectors for payment card numbers (Luhn and issuer prefixes) and IBANs (mod-97, country lengths)."""

from __future__ import annotations

import re

from ..checksums import IBAN_LENGTHS, iban_mod97, luhn_valid
from ..findings import EntityType, Finding
from .base import AnchoredRegex, Reading, RegexDetector, disjoint_from_best, last_word, word_set, words_before

_CARD_GUARD = r"(?<![\w.,+\-/][0-9])"
_CARD_REST = r"(?:[ \-]?\d){12,40}(?![\w]|[.,\-]\d)"  # the validator cuts it down
# Twelve digits with their separators are twelve characters of [\d \-] in a row: checked first, it fails
# most numbers faster than the repeated group does (``re`` runs a one-character repeat much faster).
_CARD_PROBE = r"(?=[\d \-]{12})" + _CARD_REST
CARD_WORDS = word_set("""
card cc credit debit visa mastercard amex american express discover jcb maestro kreditkarte karte
carte tarjeta carta cartão kaart pan cardholder
""")


NOT_CARD_WORDS = word_set("""
order invoice ref reference ticket case tracking serial sn isbn ean upc model part sku article item
booking reservation confirmation receipt transaction txn voucher coupon code account iban id nr no
""")


def _issuer_ok(d: str) -> bool:
    n = len(d)
    p2, p3, p4 = int(d[:2]), int(d[:3]), int(d[:4])
    if d[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16  # Mastercard
    if p2 in (34, 37):
        return n == 15  # American Express
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649:
        return 16 <= n <= 19  # Discover
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19  # JCB
    if p2 in (36, 38, 39) or 300 <= p3 <= 305:
        return 14 <= n <= 19  # Diners Club
    if p2 == 62:
        return 16 <= n <= 19  # UnionPay
    if p2 == 50 or 56 <= p2 <= 69:
        return 12 <= n <= 19  # Maestro
    return False


def _cards(text: str, m: re.Match[str]) -> list[Reading]:
    """Read a card candidate. A run that does not validate is tried from each group on, cut where its
    separator changes and then a group at a time from the end: "2024 4000-0000-0000-0002 12" holds one.
    Each start gives its best reading (see ``disjoint_from_best``): a run can hold two cards."""
    s = m.group()  # digits, with single spaces or dashes between them
    starts = [0] + [i + 1 for i, ch in enumerate(s) if ch in " -"]
    readings: list[Reading] = []
    for offset in starts:
        sub = s[offset:]
        space, dash = sub.find(" "), sub.find("-")
        if space < 0 and dash < 0:
            found = _card_check(text, m.start() + offset, sub, None) if 13 <= len(sub) <= 19 else None
            if found is not None:
                readings.append(found)
            continue
        sep, other = (" ", "-") if dash < 0 or 0 <= space < dash else ("-", " ")
        if other in sub:
            sub = sub[: sub.index(other)]
        groups = sub.split(sep)
        lengths = [len(g) for g in groups]
        digits = sum(lengths)  # of groups[:k] below; only 13 to 19 digits can be a card
        best: Reading | None = None
        for k in range(len(groups), 0, -1):
            if digits < 13:
                break
            if digits <= 19:
                found = _card_check(text, m.start() + offset, sep.join(groups[:k]), lengths[:k] if k > 1 else None)
                if found is not None and (best is None or found[0] > best[0]):
                    best = found
            digits -= lengths[k - 1]
        if best is not None:
            readings.append(best)
    return readings


class CardDetector(AnchoredRegex):
    """Payment cards (anchored); one candidate run can hold several cards (see ``_cards``)."""

    def __init__(self) -> None:
        super().__init__("card", EntityType.CARD, first="[0-9]", guard=_CARD_GUARD, rest=_CARD_REST, probe=_CARD_PROBE)

    def at(self, text: str, start: int) -> tuple[Finding, ...]:
        m = self.pattern.match(text, start)
        if m is None:
            return ()
        return disjoint_from_best(self.kind, self.name, _cards(text, m))


def _card_check(text: str, start: int, s: str, groups: list[int] | None) -> tuple[float, int, int] | None:
    digits = s.replace(" ", "").replace("-", "")
    if not 13 <= len(digits) <= 19:
        return None
    if groups is not None and (min(groups[:-1]) < 4 or max(groups) > 6):
        return None  # cards are printed in groups of 4 to 6 (4-4-4-4, 4-6-5, ...)
    if not luhn_valid(digits):
        return None
    end = start + len(s)
    if last_word(text, start) in NOT_CARD_WORDS:
        return None  # "Reference 4890 0757 5331 7640": one random number in ten passes Luhn
    if _issuer_ok(digits):
        return 0.95, start, end
    context = not CARD_WORDS.isdisjoint(words_before(text, start, 40))
    return (0.8 if context else 0.45), start, end


def card_detector() -> CardDetector:
    return CardDetector()


IBAN_RE = re.compile(r"[A-Z](?<![\w][A-Z])[A-Z]\d{2}(?:[ \-]?[A-Z0-9]){10,32}")


def _iban(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    s = m.group()
    length = IBAN_LENGTHS.get(s[:2])
    if length is None:
        return None
    seen = 0
    end = m.start()
    compact: list[str] = []
    for i, ch in enumerate(s):
        if ch.isalnum():
            compact.append(ch)
            seen += 1
            if seen == length:
                end = m.start() + i + 1
                break
    if seen < length:
        return None
    if end < len(text) and text[end].isalnum():
        return None  # the run goes on without a break: not this IBAN
    if iban_mod97("".join(compact)) != 1:
        return None
    return 0.98, m.start(), end


def iban_detector() -> RegexDetector:
    return RegexDetector("iban", EntityType.IBAN, IBAN_RE, validate=_iban)
