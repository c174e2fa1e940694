"""Check-digit and format rules for cards, IBANs and national identifiers (pure functions)."""

from __future__ import annotations

import math
from collections import Counter

# Lengths of IBANs per country (ISO 13616 registry).
# fmt: off
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
# fmt: on

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"

_CF_ODD: dict[str, int] = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [
            1,
            0,
            5,
            7,
            9,
            13,
            15,
            17,
            19,
            21,
            1,
            0,
            5,
            7,
            9,
            13,
            15,
            17,
            19,
            21,
            2,
            4,
            18,
            20,
            11,
            3,
            6,
            8,
            12,
            14,
            16,
            10,
            22,
            25,
            24,
            23,
        ],
        strict=True,
    )
)
_CF_EVEN: dict[str, int] = {**{str(d): d for d in range(10)}, **{chr(65 + i): i for i in range(26)}}

_NINO_BAD_FIRST = set("DFIQUV")
_NINO_BAD_SECOND = set("DFIOQUV")
_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


# Luhn doubling of an ASCII digit, as a bytes.translate table: b"0".."9" to 0, 2, 4, 6, 8, 1, 3, 5, 7, 9.
_LUHN_DOUBLED = bytes(range(48)) + bytes((0, 2, 4, 6, 8, 1, 3, 5, 7, 9)) + bytes(range(58, 256))


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check over a string of digits."""
    if not digits.isdigit():
        return False
    if digits.isascii():
        # Sums of bytes: the digits in odd places from the right as they are, the others doubled.
        raw = digits.encode("ascii")
        undoubled = raw[-1::-2]
        total = sum(undoubled) - 48 * len(undoubled) + sum(raw[-2::-2].translate(_LUHN_DOUBLED))
        return total % 10 == 0
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass the Luhn check."""
    for d in "0123456789":
        if luhn_valid(partial + d):
            return d
    raise ValueError(partial)  # pragma: no cover - one digit always fits


def iban_valid(value: str) -> bool:
    """ISO 13616: known country, the country's length, and mod-97 of the rearranged number is 1."""
    s = value.replace(" ", "").replace("-", "").upper()
    if len(s) < 5 or not s.isalnum() or not s[2:4].isdigit():
        return False
    if IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    return iban_mod97(s) == 1


def iban_mod97(s: str) -> int:
    rearranged = s[4:] + s[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits for ``country`` and ``bban`` (used by generators and tests)."""
    remainder = iban_mod97(country + "00" + bban)
    return f"{98 - remainder:02d}"


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """US SSN issuance rules: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    if not (area.isdigit() and group.isdigit() and serial.isdigit()):
        return False
    if len(area) != 3 or len(group) != 2 or len(serial) != 4:
        return False
    if area in {"000", "666"} or area[0] == "9":
        return False
    return group != "00" and serial != "0000"


def dni_letter(number: int) -> str:
    return _DNI_LETTERS[number % 23]


def dni_valid(value: str) -> bool:
    """Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter) with its control letter."""
    s = value.replace("-", "").replace(" ", "").upper()
    if len(s) != 9:
        return False
    head, letter = s[:8], s[8]
    if head[0] in "XYZ":
        head = str("XYZ".index(head[0])) + head[1:]
    if not head.isdigit():
        return False
    return dni_letter(int(head)) == letter


def codice_fiscale_check(first15: str) -> str:
    total = 0
    for i, ch in enumerate(first15):
        total += _CF_ODD[ch] if i % 2 == 0 else _CF_EVEN[ch]
    return chr(65 + total % 26)


def codice_fiscale_valid(value: str) -> bool:
    """Italian codice fiscale: 16 characters whose last one is the odd/even-table check letter."""
    s = value.upper()
    if len(s) != 16 or not s.isalnum():
        return False
    return codice_fiscale_check(s[:15]) == s[15]


def bsn_valid(value: str) -> bool:
    """Dutch BSN 11-proef: sum(d_i * (9 - i)) for the first 8 digits minus the last is divisible by 11."""
    s = value.replace(".", "").replace(" ", "")
    if len(s) != 9 or not s.isdigit() or s == "000000000":
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0


def nir_valid(value: str) -> bool:
    """French NIR (numéro de sécurité sociale): 13 characters and a 2-digit key = 97 - n mod 97.

    Corsican departments 2A/2B count as 19/18 for the key.
    """
    s = value.replace(" ", "").upper()
    if len(s) != 15:
        return False
    body, key = s[:13], s[13:]
    body = body.replace("2A", "19", 1) if body[5:7] == "2A" else body
    body = body.replace("2B", "18", 1) if body[5:7] == "2B" else body
    if not (body.isdigit() and key.isdigit()):
        return False
    if body[0] not in "123478":
        return False
    return 97 - int(body) % 97 == int(key)


def nir_key(body13: str) -> str:
    body = body13
    if body[5:7] == "2A":
        body = body[:5] + "19" + body[7:]
    elif body[5:7] == "2B":
        body = body[:5] + "18" + body[7:]
    return f"{97 - int(body) % 97:02d}"


def steuer_id_check_digit(first10: str) -> int:
    """ISO 7064 MOD 11,10 check digit of the German Steuer-Identifikationsnummer."""
    product = 10
    for ch in first10:
        s = (int(ch) + product) % 10
        if s == 0:
            s = 10
        product = (s * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


def steuer_id_valid(value: str) -> bool:
    """German Steuer-ID: 11 digits, no leading 0, one digit twice or thrice in the first 10, check digit."""
    s = value.replace(" ", "").replace("/", "")
    if len(s) != 11 or not s.isdigit() or s[0] == "0":
        return False
    head = s[:10]
    repeated = [c for c in Counter(head).values() if c > 1]
    if len(repeated) != 1 or repeated[0] not in (2, 3):
        return False
    if repeated[0] == 3:
        digit = next(d for d, c in Counter(head).items() if c == 3)
        if digit * 3 in head:
            return False
    return steuer_id_check_digit(head) == int(s[10])


def nino_valid(value: str) -> bool:
    """UK National Insurance number: prefix letter rules, 6 digits, suffix A-D."""
    s = value.replace(" ", "").upper()
    if len(s) != 9 or not s[2:8].isdigit() or s[8] not in "ABCD":
        return False
    a, b = s[0], s[1]
    if not (a.isalpha() and b.isalpha()):
        return False
    if a in _NINO_BAD_FIRST or b in _NINO_BAD_SECOND:
        return False
    return s[:2] not in _NINO_BAD_PREFIXES


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` (0 for an empty string)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())
