"""Per-detector examples: what each detector must find, and look-alikes it must leave alone."""

from __future__ import annotations

import pytest

from privacy.engine import EntityType as T
from privacy.engine import detect

from .helpers import found, spans


def test_nothing_in_empty_or_plain_text():
    assert detect("") == []
    assert detect("The quick brown fox jumps over the lazy dog.") == []


# --- e-mail -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "jane.doe@example.com",
        "j_doe+news@mail.co.uk",
        "ANNA.MUELLER@WEB.DE",
        "josé.garcía@correo.es",
        "a@b.io",
    ],
)
def test_email_found(email):
    assert found(f"write to {email}, thanks", T.EMAIL, email)


@pytest.mark.parametrize("text", ["meet @ 5pm", "user@localhost", "name@domain", "@handle.only"])
def test_email_not_found(text):
    assert all(kind != "EMAIL" for kind, _ in spans(text))


# --- phone ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+49 30 12345678",
        "+33 1 23 45 67 89",
        "+91 98765 43210",
        "+1 (555) 123-4567",
        "(555) 123-4567",
        "555-123-4567",
        "020 7946 0958",
        "0171/1234567",
        "06.12.34.56.78",
        "+44 (0)20 7946 0958",
        "0044 20 7946 0958",
        "+55 11 91234-5678",
        "1-800-555-0199",
    ],
)
def test_phone_found(phone):
    assert found(f"Please call {phone} tomorrow.", T.PHONE, phone)


def test_phone_without_trunk_needs_a_phone_word():
    assert found("Mi móvil es el 612 345 678.", T.PHONE, "612 345 678")
    assert not any(k == "PHONE" for k, _ in spans("We shipped 612 345 678 units."))


@pytest.mark.parametrize(
    "text",
    [
        "Order #48213377 shipped on 12/03/2024.",
        "Invoice date 2024-03-15, total 1.234.567 units.",
        "ISBN 978-3-16-148410-0",
        "Version 10.0.19045.3803",
        "Tracking number 9400 1000 0000 0000",
        "Reference 0055 5165 8819 4889 is your booking code.",
        "It costs 3.14 or 2.71.",
    ],
)
def test_phone_not_found(text):
    assert not any(kind == "PHONE" for kind, _ in spans(text))


# --- card -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5425 2334 3010 9903",
        "3782 822463 10005",
        "6011 1111 1111 1117",
        "2223 0031 2200 3222",
    ],
)
def test_card_found(card):
    assert found(f"my card {card} was charged", T.CARD, card)


@pytest.mark.parametrize("card", ["4111 1111 1111 1112", "5425 2334 3010 9904", "1234 5678 9012 3456"])
def test_card_bad_luhn_not_a_card(card):
    assert not any(kind == "CARD" for kind, _ in spans(f"my card {card} was charged"))


def test_card_mixed_separators_rejected():
    assert not any(k == "CARD" for k, _ in spans("ref 4111 1111-1111 1111"))


# --- several numbers in one run of digit groups -------------------------------------------------------
# No anchor starts inside a number written in groups, so the phone and card validators read the later
# values of a run themselves (as fallback findings, which never displace another finding).


@pytest.mark.parametrize(
    ("text", "values"),
    [
        (" 0171/0000000 2024 0171/0000000 ", ["0171/0000000", "0171/0000000"]),
        (" 4000 0000 0000 0002 2024 020 0000 0000 ", ["4000 0000 0000 0002", "020 0000 0000"]),
        (" 5100 0000 0000 0008 2024 4000 1000 0000 0000 ", ["5100 0000 0000 0008", "4000 1000 0000 0000"]),
        ("call 1111 2222 3333 4444 5555 6666 7777 020 7946 0958", ["020 7946 0958"]),
    ],
)
def test_every_number_of_a_run_is_hidden(text, values):
    covered = {i for f in detect(text) for i in range(f.start, f.end)}
    pos = 0
    for value in values:
        pos = text.index(value, pos)
        assert set(range(pos, pos + len(value))) <= covered, (value, text)
        pos += len(value)


def test_a_second_reading_never_displaces_a_finding():
    # The card is the best reading of its run; "0000 0000 0002 2024" (an international-looking phone
    # reading) overlaps it and must not win over it.
    text = " 4000 0000 0000 0002 2024 020 0000 0000 "
    assert ("CARD", "4000 0000 0000 0002") in spans(text)


# --- IBAN -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
    ],
)
def test_iban_found(iban):
    assert found(f"IBAN: {iban}. Thanks", T.IBAN, iban)


@pytest.mark.parametrize(
    "iban", ["DE89 3704 0044 0532 0130 01", "GB82WEST1234569876543", "XX12 3456 7890 1234"]
)
def test_iban_bad_checksum_or_length_not_found(iban):
    assert not any(kind == "IBAN" for kind, _ in spans(f"IBAN: {iban}. Thanks"))


def test_iban_stops_at_country_length():
    text = "IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX"
    assert ("IBAN", "DE89 3704 0044 0532 0130 00") in spans(text)


# --- IP ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ip",
    [
        "192.168.1.10",
        "8.8.8.8",
        "10.0.4.12",
        "2001:db8::1",
        "fe80::1ff:fe23:4567:890a",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "::ffff:192.0.2.128",
    ],
)
def test_ip_found(ip):
    assert found(f"login from {ip} failed", T.IP, ip)


@pytest.mark.parametrize(
    "text",
    [
        "from 256.1.1.1",
        "from 192.168.1",
        "v1.2.3.4",
        "10.0.19045.3803",
        "at 12:30:45",
        "mac 00:1A:2B:3C:4D:5E",
        "localhost 127.0.0.1",
        "bind 0.0.0.0",
        "loopback ::1",
        "gg::zz",
    ],
)
def test_ip_not_found(text):
    assert not any(kind == "IP" for kind, _ in spans(text))


# --- national ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ssn", ["123-45-6789", "219-09-9999", "665-01-0001"])
def test_ssn_found(ssn):
    assert found(f"SSN {ssn}", T.SSN, ssn)


def test_ssn_bare_digits_need_a_cue():
    assert found("Social Security Number: 123456789", T.SSN, "123456789")
    assert not any(k == "SSN" for k, _ in spans("order 123456789 shipped"))


@pytest.mark.parametrize(
    "ssn", ["000-12-3456", "666-12-3456", "900-12-3456", "987-65-4321", "123-00-4567", "123-45-0000"]
)
def test_ssn_invalid_areas_not_found(ssn):
    assert not any(kind == "SSN" for kind, _ in spans(f"SSN {ssn}"))


@pytest.mark.parametrize(
    "text, value",
    [
        ("NI number AB 12 34 56 C please", "AB 12 34 56 C"),
        ("DNI 12345678Z", "12345678Z"),
        ("NIE X1234567L", "X1234567L"),
        ("codice fiscale RSSMRA85T10A562S", "RSSMRA85T10A562S"),
        ("mijn BSN is 123456782", "123456782"),
        ("BSN: 1234.56.782", "1234.56.782"),
        ("Steuer-ID 65929970489", "65929970489"),
        ("numéro de sécurité sociale 1 85 05 78 006 084 36", None),
    ],
)
def test_european_ids_found(text, value):
    if value is None:  # the NIR key is computed, not typed
        from privacy.engine.checksums import nir_key

        body = "1850578006084"
        value = f"1 85 05 78 006 084 {nir_key(body)}"
        text = f"numéro de sécurité sociale {value}"
    assert found(text, T.NATIONAL_ID, value)


@pytest.mark.parametrize(
    "text",
    [
        "NI number QQ 12 34 56 C",
        "DNI 12345678A",
        "NIE X1234567A",
        "codice fiscale RSSMRA85T10A562T",
        "mijn BSN is 123456781",
        "Steuer-ID 65929970488",
        "order 123456782 shipped",
    ],
)
def test_european_ids_invalid_not_found(text):
    assert not any(kind == "NATIONAL_ID" for kind, _ in spans(text))


# --- addresses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "221B Baker Street",
        "1600 Pennsylvania Ave NW",
        "42 Wallaby Way",
        "12 Main St, Apt 4B",
        "350 5th Avenue",
        "Hauptstraße 12a",
        "Berliner Straße 5",
        "Bahnhofstr. 7",
        "Am Markt 3",
        "Keizersgracht 123",
        "12 rue de la Paix",
        "5 bis, avenue Foch",
        "Calle de Alcalá, 45",
        "C/ Mayor, 5",
        "Carrer de Balmes 123",
        "Via Roma 10",
        "Piazza Giuseppe Verdi, 201",
        "Rua Augusta, 25",
        "Drottninggatan 5",
        "Karl Johans gate 22",
    ],
)
def test_address_found(address):
    assert found(f"Deliver to {address}, please.", T.ADDRESS, address)


@pytest.mark.parametrize(
    "text",
    [
        "I bought 3 apples.",
        "Room 4 is free.",
        "We sent it via Zoom 5 times.",
        "Version 2 Road map",
        "The 3 Musketeers",
        "PlayStation 5 is sold out",
        "Chapter 12 begins",
    ],
)
def test_address_not_found(text):
    assert not any(kind == "ADDRESS" for kind, _ in spans(text))


# --- dates of birth ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, date",
    [
        ("born on 12 March 1985 in Leeds", "12 March 1985"),
        ("DOB: 03/12/1985", "03/12/1985"),
        ("Date of birth: 1985-03-12", "1985-03-12"),
        ("She was born March 5, 1990.", "March 5, 1990"),
        ("geb. 12.03.1985", "12.03.1985"),
        ("Ich bin am 23. Oktober 1965 geboren.", "23. Oktober 1965"),
        ("née le 4 juillet 1976", "4 juillet 1976"),
        ("fecha de nacimiento: 12 de marzo de 1985", "12 de marzo de 1985"),
        ("nata il 07/08/1990", "07/08/1990"),
        ("geboortedatum 01-02-1980", "01-02-1980"),
    ],
)
def test_dob_found(text, date):
    assert found(text, T.DOB, date)


@pytest.mark.parametrize(
    "text",
    [
        "The meeting is on 12 March 2024.",
        "Invoice dated 2024-06-30.",
        "Released 03/04/2023 to everyone.",
        "Renato will call on 12/03/2024.",
    ],
)
def test_dates_without_birth_cue_not_dob(text):
    assert not any(kind == "DOB" for kind, _ in spans(text))


# --- usernames and URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("follow @jane_doe88 now", "@jane_doe88"),
        ("username: jdoe42", "jdoe42"),
        ("login=m.rossi", "m.rossi"),
        ("her username is kavya2024", "kavya2024"),
    ],
)
def test_username_found(text, value):
    assert found(text, T.USERNAME, value)


@pytest.mark.parametrize(
    "text",
    [
        "ping @here and @channel",
        "use @dataclass and @property",
        "meet @ 5pm",
        "mail me at jane@example.com",
        "the user is offline",
    ],
)
def test_username_not_found(text):
    assert not any(kind == "USERNAME" for kind, _ in spans(text))


@pytest.mark.parametrize(
    "url",
    [
        "https://www.facebook.com/jane.doe",
        "https://twitter.com/janedoe",
        "https://www.linkedin.com/in/jane-doe-4a7b21/",
        "https://github.com/jdoe",
        "https://example.com/users/12345",
        "https://www.cs.example.edu/~bob/",
        "https://app.example.com/profile?user_id=8812",
        "https://medium.com/@janedoe",
        "facebook.com/jane.doe",
        "https://forum.example.org/u/bob_smith",
    ],
)
def test_personal_url_found(url):
    assert found(f"see {url} for more", T.URL, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.python.org/3/library/re.html",
        "https://github.com/django/django/pull/17000",
        "https://www.example.com/products/widget-3000",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.facebook.com/help",
        "https://en.wikipedia.org/wiki/Luhn_algorithm",
    ],
)
def test_non_personal_url_not_found(url):
    assert not any(kind == "URL" for kind, _ in spans(f"see {url} for more"))


# --- GPS --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "coords",
    [
        "48.85837, 2.29448",
        "-33.8688,151.2093",
        "51.5074° N, 0.1278° W",
        "40°42'46.0\"N 74°00'21.6\"W",
        "40.7128, -74.0060",
    ],
)
def test_gps_found(coords):
    assert found(f"we are at {coords} now", T.GPS, coords)


@pytest.mark.parametrize(
    "text",
    [
        "accuracy 0.9134, recall 0.8741",
        "prices 12.50, 13.75",
        "lat 95.12345, 10.12345",
        "12.345 67.890",
    ],
)
def test_gps_not_found(text):
    assert not any(kind == "GPS" for kind, _ in spans(text))


# --- secrets ----------------------------------------------------------------------------------------

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"


@pytest.mark.parametrize(
    "text, value",
    [
        ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        (
            "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        ),
        ("STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        (f"Authorization: Bearer {JWT}", JWT),
        ("api_key = 'Zk29fQ7xLmP3sV8tN1wR5yB2'", "Zk29fQ7xLmP3sV8tN1wR5yB2"),
        ("password: Tr0ub4dor&3", "Tr0ub4dor&3"),
        ("DATABASE_URL=postgres://app:S3cretPw9@db:5432/app", "S3cretPw9"),
        ("key AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
    ],
)
def test_secret_found(text, value):
    assert found(text, T.SECRET, value)


def test_private_key_block_is_one_finding():
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc+/def\n-----END RSA PRIVATE KEY-----"
    assert found(f"here:\n{block}\nbye", T.SECRET, block)


@pytest.mark.parametrize(
    "text",
    [
        "password: required",
        "the token is expired",
        "api_key = 'changeme'",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it",
        "secret: Santa",
    ],
)
def test_secret_not_found(text):
    assert not any(kind == "SECRET" for kind, _ in spans(text))


def test_findings_carry_detector_name_and_score():
    (f,) = detect("mail jane@example.com")
    assert f.detector == "email" and 0 < f.score <= 1 and f.type is T.EMAIL
