"""The fast paths of the engine give exactly what the plain definitions give.

``BuiltinScan`` skips a detector where a cheap necessary condition fails, helpers have str-method fast
paths for ASCII, the numeric scan tries groups of probes behind a shared gate, and overlap resolution has
shortcuts: each is checked here against the plain version on generated texts.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.corpus_pii import generate, handwritten
from privacy.engine import Engine, EntityType, Finding, resolve_overlaps
from privacy.engine.checksums import luhn_valid
from privacy.engine.detectors import anchored_detectors, default_detectors, has_digit
from privacy.engine.detectors.base import any_of, disjoint_from_best, last_word, words_after, words_before
from privacy.engine.detectors.credentials import _NEEDLES, KEY_VALUE_RE, KeyValueDetector
from privacy.engine.detectors.dob import _MONTH_ALT
from privacy.engine.detectors.location import _EN_TYPES, _FR_TYPES, _ROM_TYPES
from privacy.engine.detectors.scan import upper_count

# Pieces that wake detectors up, mixed with characters that sit on their boundaries.
SNIPPETS = [
    "born ", "DOB: ", "geb. ", "né le ", "password: ", "api_key=", "user is ", "Bearer ", "token ", "AKIA",
    "ghp_", "sk-", "sk_live_", "eyJ", "-----BEGIN RSA PRIVATE KEY-----", "://", "http://", "www.", "@",
    "Mr ", "Dear ", "Hi ", "Regards,\n", "Anna ", "Smith ", "Maria Garcia ", "Straße ", "rue ", "Via ",
    "+44 ", "0171/", "2024 ", "020 ", "IBAN ", "DE89 3704 0044 0532 0130 00", "4111 1111 1111 1111", "::",
    "fe80::1", "192.168.1.", "52.5200, 13.4050", "X1234567", "AB123456C", "123-45-6789", "call me on ",
    "order ", "Tel ", "github.com/", "linkedin.com/in/", "?user=", "@john", "xox", "AIza", "Hauptstraße 12",
    "12 Baker Street", "Calle de Alcalá, 45", "I'm ", "my name is ", "this is ", " said ", "12/03/1985",
    "March 3, 1985", "RSSMRA85T10A562S", "İ", "ß", "٣", "é",
]
CHARACTERS = "0123456789 \t\n+-()./:@#_=,;'\"abcxyzABCXYZéüñ°−–’"
texts = st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(CHARACTERS, max_size=3)), max_size=14).map("".join)


def _key(findings: list[Finding]) -> list[tuple[str, int, int, float, str, bool]]:
    return [(str(f.type), f.start, f.end, f.score, f.detector, f.fallback) for f in findings]


FAST, PLAIN = Engine(), Engine(default_detectors())


@pytest.mark.parametrize("doc", generate(300, 7) + handwritten(), ids=lambda d: str(d.id))
def test_gated_scan_finds_what_every_detector_finds_on_the_corpus(doc):
    assert _key(FAST.candidates(doc.text)) == _key(PLAIN.candidates(doc.text))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_gated_scan_finds_what_every_detector_finds(text):
    assert _key(FAST.candidates(text)) == _key(PLAIN.candidates(text))


@given(st.text(max_size=40))
def test_has_digit_is_backslash_d(text):
    assert has_digit(text) == (re.search(r"\d", text) is not None)


@given(st.text(max_size=40))
def test_upper_count(text):
    assert upper_count(text) == sum("A" <= ch <= "Z" for ch in text)


@pytest.mark.parametrize("alternatives", [_EN_TYPES, _FR_TYPES, _ROM_TYPES, _MONTH_ALT])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_of_matches_like_the_plain_alternation(alternatives, data):
    words = alternatives.replace("\\", "").split("|")
    word = data.draw(st.sampled_from(words))
    flips = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    cased = "".join(ch.upper() if flip else ch for ch, flip in zip(word, flips, strict=True))
    text = cased + data.draw(st.text("abcXYZ .ſK", max_size=3))
    fast, plain = re.compile(any_of(alternatives)), re.compile(f"(?i:{alternatives})")
    for pos in range(len(text)):
        m1, m2 = fast.match(text, pos), plain.match(text, pos)
        assert (m1 and m1.span()) == (m2 and m2.span())


def test_any_of_rejects_alternatives_it_cannot_gate():
    with pytest.raises(ValueError):
        any_of("street|(?:road)")


@pytest.mark.parametrize(
    "detector", [d for d in anchored_detectors() if getattr(d, "gate", None)], ids=lambda d: str(d.name)
)
@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_a_numeric_gate_holds_wherever_its_probe_holds(detector, text):
    probe = re.compile(f"(?<={detector.first}){detector.guard}(?={detector.probe})")
    gate = re.compile(detector.gate)
    for pos in range(1, len(text) + 1):
        if probe.match(text, pos):
            assert gate.match(text, pos)


# --- context helpers: the ASCII fast paths against the regexes they replace ----------------------------

_WORD = re.compile(r"[^\W\d_]+")
_LAST_WORD = re.compile(r"([^\W\d_]+)[^\w\n]{0,6}$")
context = st.text("ab Zé_1\n\t.,;:-()'\"+#@/ İ²x", max_size=50)


@given(context, st.integers(0, 60), st.integers(0, 45))
def test_context_words_match_the_regex_definitions(text, start, window):
    start = min(start, len(text))
    lo = max(0, start - window)
    nl = text.rfind("\n", lo, start)
    assert words_before(text, start, window) == [
        w.lower() for w in _WORD.findall(text, nl + 1 if nl >= 0 else lo, start)
    ]
    hi = min(len(text), start + window)
    nl = text.find("\n", start, hi)
    assert words_after(text, start, window) == [w.lower() for w in _WORD.findall(text, start, nl if nl >= 0 else hi)]
    m = _LAST_WORD.search(text, max(0, start - 30), start)
    assert last_word(text, start) == (m.group(1).lower() if m else "")


@given(st.text("0123456789", max_size=24))
def test_luhn_fast_path(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    assert luhn_valid(digits) == (digits.isdigit() and total % 10 == 0)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_key_values_are_the_matches_at_every_needle(text):
    low = text.lower()
    if len(low) != len(text):
        return
    starts = sorted({m.start() for n in _NEEDLES for m in re.finditer(f"(?={re.escape(n)})", low)})
    expected, floor = [], 0
    for pos in starts:
        m = KEY_VALUE_RE.match(low, pos) if pos >= floor else None
        if m is not None:
            floor = m.end()
            expected.append(m.span())
    assert [m.span() for m in KeyValueDetector._matches(text)] == expected


# --- overlap resolution -------------------------------------------------------------------------------


def _reference(findings: list[Finding], min_score: float) -> list[Finding]:
    ranked = sorted(
        (f for f in findings if f.score >= min_score and f.end > f.start),
        key=lambda f: (f.fallback, -f.score, -(f.end - f.start), f.start),
    )
    kept: list[Finding] = []
    for f in ranked:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


findings = st.lists(
    st.builds(
        Finding,
        st.sampled_from([EntityType.PHONE, EntityType.CARD]),
        st.integers(0, 30),
        st.integers(0, 40),
        st.sampled_from([0.3, 0.5, 0.75, 0.95]),
        st.just("t"),
        st.booleans(),
    ),
    max_size=8,
)


@given(findings)
def test_resolution_shortcuts_agree_with_the_plain_algorithm(candidates):
    assert resolve_overlaps(candidates, min_score=0.5) == _reference(candidates, 0.5)


@given(findings, findings)
def test_a_fallback_never_displaces_a_finding(candidates, more):
    regular = [f._replace(fallback=False) for f in candidates]
    fallbacks = [f._replace(fallback=True) for f in more]
    kept = resolve_overlaps(regular)
    assert [f for f in resolve_overlaps(regular + fallbacks) if not f.fallback] == kept


def test_disjoint_from_best():
    readings = [(0.75, 0, 10), (0.95, 5, 15), (0.75, 16, 20), (0.95, 12, 18)]
    found = disjoint_from_best(EntityType.PHONE, "phone", readings, [(0.5, 30, 40)])
    assert [(f.start, f.end, f.fallback) for f in found] == [(5, 15, False), (16, 20, True), (30, 40, True)]
