"""Operators, policies per clearance, and keyed pseudonyms."""

from __future__ import annotations

import pytest

from privacy.engine import (
    INTERNAL,
    RESTRICTED,
    STANDARD,
    EntityType,
    Finding,
    MemoryIndexStore,
    Operator,
    Policy,
    Pseudonymizer,
    apply_operators,
    derive_project_key,
    detect,
    normalize,
    policy_for,
    redact,
)

TEXT = "Jane Doe <jane@example.com> paid with 4111 1111 1111 1111; Jane Doe lives at 12 Baker Street."
KEY_A = derive_project_key(b"master-key-for-tests", 1)
KEY_B = derive_project_key(b"master-key-for-tests", 2)


def _apply(op: Operator, text: str = "mail jane@example.com now") -> str:
    return apply_operators(text, detect(text), lambda _f: op, Pseudonymizer(KEY_A))


def test_mask_keeps_length():
    assert _apply(Operator.MASK) == "mail " + "*" * len("jane@example.com") + " now"


def test_placeholder_remove_keep():
    assert _apply(Operator.PLACEHOLDER) == "mail <EMAIL> now"
    assert _apply(Operator.REMOVE) == "mail  now"
    assert _apply(Operator.KEEP) == "mail jane@example.com now"


def test_pseudonym_needs_a_pseudonymizer():
    text = "mail jane@example.com"
    with pytest.raises(ValueError, match="Pseudonymizer"):
        apply_operators(text, detect(text), lambda _f: Operator.PSEUDONYM)


def test_overlapping_findings_are_refused():
    overlapping = [Finding(EntityType.EMAIL, 0, 5, 1, "t"), Finding(EntityType.PERSON, 3, 8, 1, "t")]
    with pytest.raises(ValueError, match="overlap"):
        apply_operators("0123456789", overlapping, lambda _f: Operator.MASK)


def test_restricted_policy_placeholders_everything():
    out = redact(TEXT, RESTRICTED)
    assert out == "<PERSON> <<EMAIL>> paid with <CARD>; <PERSON> lives at <ADDRESS>."


def test_standard_policy_pseudonymizes_people_but_not_cards():
    out = redact(TEXT, STANDARD, pseudonymizer=Pseudonymizer(KEY_A))
    assert out == "<PERSON_1> <<EMAIL_1>> paid with <CARD>; <PERSON_1> lives at <ADDRESS_1>."


@pytest.mark.parametrize("kind", ["SECRET", "CARD", "IBAN", "NATIONAL_ID", "SSN"])
def test_standard_policy_never_pseudonymizes_dangerous_values(kind):
    assert STANDARD.operator(EntityType(kind)) is Operator.PLACEHOLDER


def test_internal_policy_changes_nothing():
    assert redact(TEXT, INTERNAL) == TEXT
    assert not INTERNAL.changes_text


def test_policy_for_clearance():
    assert policy_for("restricted") is RESTRICTED
    assert policy_for("standard") is STANDARD
    assert policy_for("internal") is INTERNAL
    with pytest.raises(ValueError, match="unknown clearance"):
        policy_for("top-secret")


def test_custom_policy_overrides():
    policy = Policy("mixed", Operator.MASK, {EntityType.EMAIL: Operator.REMOVE})
    assert redact("Jane Doe, jane@example.com", policy) == "********, "
    assert policy.operator(EntityType.PERSON) is Operator.MASK


# --- pseudonyms -------------------------------------------------------------------------------------


def test_same_value_same_pseudonym_after_normalization():
    p = Pseudonymizer(KEY_A)
    assert p.pseudonym("PERSON", "Jane Doe") == p.pseudonym("PERSON", "  jane   DOE ")
    assert p.pseudonym("PERSON", "José García") == p.pseudonym("PERSON", "Jose Garcia")
    assert p.pseudonym("PHONE", "+44 20 7946 0958") == p.pseudonym("PHONE", "+44-20-7946-0958")
    assert p.pseudonym("PERSON", "Jane Doe") != p.pseudonym("PERSON", "John Doe")


def test_numbering_is_per_type_and_in_order_of_appearance():
    p = Pseudonymizer(KEY_A)
    assert [p.pseudonym("PERSON", "a b"), p.pseudonym("EMAIL", "x@y.z"), p.pseudonym("PERSON", "c d")] == [
        "<PERSON_1>",
        "<EMAIL_1>",
        "<PERSON_2>",
    ]


def test_digests_are_unlinkable_across_projects():
    a, b = Pseudonymizer(KEY_A), Pseudonymizer(KEY_B)
    assert a.digest("PERSON", "Jane Doe") != b.digest("PERSON", "Jane Doe")
    assert a.digest("PERSON", "Jane Doe") == Pseudonymizer(KEY_A).digest("PERSON", "jane doe")


def test_shared_store_keeps_numbers_across_texts_within_a_project():
    store = MemoryIndexStore()
    first = redact("Call Jane Doe.", STANDARD, pseudonymizer=Pseudonymizer(KEY_A, store))
    redact("Call John Roe.", STANDARD, pseudonymizer=Pseudonymizer(KEY_A, store))
    again = redact("Jane Doe called back.", STANDARD, pseudonymizer=Pseudonymizer(KEY_A, store))
    assert first == "Call <PERSON_1>." and again == "<PERSON_1> called back."


def test_key_derivation():
    assert derive_project_key(b"m", 1) != derive_project_key(b"m", 2)
    assert derive_project_key(b"m", 1) != derive_project_key(b"n", 1)
    assert len(derive_project_key(b"m", 1)) == 32
    with pytest.raises(ValueError):
        derive_project_key(b"", 1)
    with pytest.raises(ValueError):
        Pseudonymizer(b"short")


def test_normalize():
    assert normalize("EMAIL", " Jane@Example.COM ") == "jane@example.com"
    assert normalize("CARD", "4111-1111 1111-1111") == "4111111111111111"
    assert normalize("IBAN", "de89 3704") == "DE893704"
