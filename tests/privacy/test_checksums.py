"""Check-digit and format rules: the valid ones pass, one changed character fails."""

from __future__ import annotations

import pytest

from privacy.engine.checksums import (
    bsn_valid,
    codice_fiscale_check,
    codice_fiscale_valid,
    dni_valid,
    iban_check_digits,
    iban_valid,
    luhn_check_digit,
    luhn_valid,
    nino_valid,
    nir_key,
    nir_valid,
    shannon_entropy,
    ssn_valid,
    steuer_id_check_digit,
    steuer_id_valid,
)


@pytest.mark.parametrize(
    "number", ["4111111111111111", "5425233430109903", "378282246310005", "6011111111111117"]
)
def test_luhn_accepts_known_test_cards(number):
    assert luhn_valid(number)


@pytest.mark.parametrize(
    "number", ["4111111111111112", "5425233430109904", "1234567890123456", "41111x1111111111"]
)
def test_luhn_rejects_bad_check_digit_or_non_digits(number):
    assert not luhn_valid(number)


def test_luhn_check_digit_completes_a_number():
    assert luhn_valid("453201511283036" + luhn_check_digit("453201511283036"))


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "ES9121000418450200051332",
        "IT60X0542811101000000123456",
        "BE68539007547034",
    ],
)
def test_iban_accepts_valid(iban):
    assert iban_valid(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 01",  # checksum
        "GB82WEST1234569876543",  # length for GB
        "XX89370400440532013000",  # unknown country
        "DE8937040044053201300",  # too short
    ],
)
def test_iban_rejects_invalid(iban):
    assert not iban_valid(iban)


def test_iban_check_digits_make_a_valid_iban():
    bban = "370400440532013000"
    assert iban_valid("DE" + iban_check_digits("DE", bban) + bban)


@pytest.mark.parametrize("ssn", [("219", "09", "9999"), ("123", "45", "6789"), ("665", "01", "0001")])
def test_ssn_accepts_issuable(ssn):
    assert ssn_valid(*ssn)


@pytest.mark.parametrize(
    "ssn",
    [
        ("000", "12", "3456"),
        ("666", "12", "3456"),
        ("900", "12", "3456"),
        ("987", "65", "4321"),
        ("123", "00", "4567"),
        ("123", "45", "0000"),
    ],
)
def test_ssn_rejects_never_issued_areas_groups_serials(ssn):
    assert not ssn_valid(*ssn)


@pytest.mark.parametrize("value", ["12345678Z", "12345678-Z", "X1234567L", "Y2345678Z", "Z1234567R"])
def test_dni_and_nie_accept_correct_letter(value):
    assert dni_valid(value)


@pytest.mark.parametrize("value", ["12345678A", "X1234567A", "1234567Z", "ABCDEFGHZ"])
def test_dni_rejects_wrong_letter_or_shape(value):
    assert not dni_valid(value)


def test_codice_fiscale():
    assert codice_fiscale_valid("RSSMRA85T10A562S")
    assert not codice_fiscale_valid("RSSMRA85T10A562T")
    assert codice_fiscale_check("RSSMRA85T10A562") == "S"


def test_bsn_eleven_check():
    assert bsn_valid("123456782")
    assert bsn_valid("1234.56.782")
    assert not bsn_valid("123456781")
    assert not bsn_valid("000000000")


def test_nir_key_and_corsica():
    body = "1850578006084"
    assert nir_valid(body + nir_key(body))
    assert not nir_valid(body + f"{(int(nir_key(body)) + 1) % 100:02d}")
    corsica = "285052A123456"
    assert nir_valid(corsica + nir_key(corsica))


def test_steuer_id():
    assert steuer_id_valid("65929970489")
    assert steuer_id_valid("65 929 970 489")
    assert not steuer_id_valid("65929970488")  # check digit
    assert not steuer_id_valid("05929970489")  # leading zero
    assert not steuer_id_valid("12345678903")  # no digit repeated in the first ten
    head = "1123456789"
    assert steuer_id_valid(head + str(steuer_id_check_digit(head)))


def test_nino_prefix_rules():
    assert nino_valid("AB123456C")
    assert nino_valid("JG 10 37 24 D")
    assert not nino_valid("QQ123456C")  # Q never first
    assert not nino_valid("GB123456A")  # reserved prefix
    assert not nino_valid("AB123456E")  # suffix A-D only


def test_entropy():
    assert shannon_entropy("") == 0
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("ab") == pytest.approx(1.0)
    assert shannon_entropy("9fK2xQ7mZp1L") > 3.0
