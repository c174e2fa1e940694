"""Property tests: whatever text surrounds them, generated e-mails, phones and cards never survive."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privacy.engine import RESTRICTED, STANDARD, Pseudonymizer, derive_project_key, detect, redact
from privacy.engine.checksums import luhn_check_digit

# Filler: ordinary and capitalized words, numbers, punctuation. Words that deliberately veto a nearby
# number ("order", "reference", "tracking", ...) are left out: those vetoes are tested on their own.
WORDS = [
    "the",
    "a",
    "please",
    "call",
    "me",
    "at",
    "or",
    "and",
    "Thanks",
    "Hello",
    "Meeting",
    "Monday",
    "Paris",
    "Anna",
    "report",
    "is",
    "was",
    "ready",
    "2024",
    "12",
    "7",
    "3.5",
    "€20",
    "100%",
    "ok",
    "Galaxy",
    "S24",
    "über",
    "café",
    "niño",
    "—",
    "-",
    "(",
    ")",
    ":",
    ";",
    "!",
    "?",
    "\n",
    "#",
    "@",
    "v2.1",
]
SEPARATORS = [" ", ", ", " (", ") ", ": ", "\n", " - ", "; ", "\t", " / "]

DIGIT = st.sampled_from("0123456789")


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(DIGIT, min_size=n, max_size=n)


local = st.from_regex(r"[a-z0-9][a-z0-9._+\-]{0,15}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s)
domain = st.from_regex(
    r"[a-z0-9]{1,12}(\-[a-z0-9]{1,8})?(\.[a-z0-9]{2,10})?\.(com|org|de|fr|co\.uk|io|net)", fullmatch=True
)
emails = st.builds(lambda a, b: f"{a}@{b}", local, domain)

phones = st.one_of(
    st.builds(lambda a, b: f"+44 20 {a} {b}", digits(4), digits(4)),
    st.builds(lambda a, b: f"+44 7{a} {b}", digits(3), digits(6)),
    st.builds(
        lambda a, b, c: f"+1 ({a}) {b}-{c}", digits(3).filter(lambda s: s[0] != "0"), digits(3), digits(4)
    ),
    st.builds(
        lambda a, b, c: f"({a}) {b}-{c}", digits(3).filter(lambda s: s[0] != "0"), digits(3), digits(4)
    ),
    st.builds(lambda a: f"+49 30 {a}", digits(8)),
    st.builds(lambda a: f"+49 151 {a}", digits(8)),
    st.builds(lambda a, b, c, d: f"+33 6 {a} {b} {c} {d}", digits(2), digits(2), digits(2), digits(2)),
    st.builds(lambda a, b: f"+91 9{a} {b}", digits(4), digits(5)),
    st.builds(lambda a, b: f"020 {a} {b}", digits(4), digits(4)),
    st.builds(lambda a: f"0171/{a}", digits(7)),
)


def _card(prefix: str, body_len: int, fmt: str, rest: str) -> str:
    body = (prefix + rest)[:body_len]
    number = body + luhn_check_digit(body)
    if fmt == "amex":
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    sep = {"space": " ", "dash": "-", "none": ""}[fmt]
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


cards = st.one_of(
    st.builds(_card, st.just("4"), st.just(15), st.sampled_from(["space", "dash", "none"]), digits(15)),
    st.builds(
        _card,
        st.sampled_from(["51", "52", "53", "54", "55", "2221", "2720"]),
        st.just(15),
        st.sampled_from(["space", "dash", "none"]),
        digits(15),
    ),
    st.builds(_card, st.sampled_from(["34", "37"]), st.just(14), st.just("amex"), digits(14)),
    st.builds(_card, st.just("6011"), st.just(15), st.sampled_from(["space", "none"]), digits(15)),
)

pii_values = st.one_of(emails, phones, cards)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str]]:
    parts: list[str] = []
    values: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        parts.append(" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=8))))
        parts.append(draw(st.sampled_from(SEPARATORS)))
        value = draw(pii_values)
        values.append(value)
        parts.append(value)
        parts.append(draw(st.sampled_from(SEPARATORS)))
    parts.append(" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=8))))
    return "".join(parts), values


KEY = derive_project_key(b"property-test-master-key", 99)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_pii_never_survives_redaction(doc):
    text, values = doc
    restricted = redact(text, RESTRICTED)
    standard = redact(text, STANDARD, pseudonymizer=Pseudonymizer(KEY))
    for value in values:
        assert value not in restricted, (value, text, restricted)
        assert value not in standard, (value, text, standard)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_ordered_in_bounds_findings(text):
    found = detect(text)
    for f in found:
        assert 0 <= f.start < f.end <= len(text) and 0 < f.score <= 1
    for a, b in pairwise(found):
        assert a.end <= b.start


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_internal_is_identity_and_mask_keeps_length(text):
    from privacy.engine import Operator, Policy

    assert redact(text, Policy("internal", Operator.KEEP)) == text
    assert len(redact(text, Policy("mask", Operator.MASK))) == len(text)
