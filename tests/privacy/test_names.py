"""Person names: gazetteer in many languages, cues (titles, greetings, intros, sign-offs), non-names."""

from __future__ import annotations

import pytest

from privacy.engine import EntityType as T

from .helpers import found, spans


@pytest.mark.parametrize(
    "text, name",
    [
        ("Yesterday Maria Garcia called about the invoice.", "Maria Garcia"),
        ("Lukas Schneider hat angerufen.", "Lukas Schneider"),
        ("J'ai parlé avec Camille Dubois hier.", "Camille Dubois"),
        ("Ho sentito Giulia Bianchi stamattina.", "Giulia Bianchi"),
        ("Ik heb Anouk de Vries gebeld.", "Anouk de Vries"),
        ("Spoke with Chinedu Okafor and Priya Sharma.", "Chinedu Okafor"),
        ("Spoke with Chinedu Okafor and Priya Sharma.", "Priya Sharma"),
        ("Mehmet Yılmaz will join on Monday.", "Mehmet Yılmaz"),
        ("Встреча с Иван Петров завтра.", "Иван Петров"),
        ("Thanks to Hiroshi Tanaka for the review.", "Hiroshi Tanaka"),
        ("The report by John F. Kennedy was filed.", "John F. Kennedy"),
        ("I met J. Smith at the door.", "J. Smith"),
    ],
)
def test_gazetteer_names(text, name):
    assert found(text, T.PERSON, name)


@pytest.mark.parametrize(
    "text, name",
    [
        ("Dear Mr. Featherstonehaugh,", "Featherstonehaugh"),
        ("Sehr geehrte Frau Oberholzer,", "Oberholzer"),
        ("Gentile Dott.ssa Tiramani, grazie.", "Tiramani"),
        ("Hi Xiomara, thanks for the update.", "Xiomara"),
        ("My name is Thaddeus Quintanilla and I need help.", "Thaddeus Quintanilla"),
        ("Je m'appelle Radegonde Vaillancourt.", "Radegonde Vaillancourt"),
        ("Me llamo Eulalia Valdivieso.", "Eulalia Valdivieso"),
        ("Name: Zebulon Trevithick", "Zebulon Trevithick"),
        ("Best regards,\nOttoline Kinnaird", "Ottoline Kinnaird"),
        ("Mit freundlichen Grüßen\nWolfram Achterberg", "Wolfram Achterberg"),
        ("Cordialement,\nLeocadia Dreyfuss", "Leocadia Dreyfuss"),
        ("Hi, this is Evander from Royal Mail.", "Evander"),
        ("Cosima Tiramani said the numbers look fine.", "Cosima Tiramani"),
    ],
)
def test_context_names(text, name):
    assert found(text, T.PERSON, name)


def test_title_is_not_part_of_the_name():
    assert ("PERSON", "Smith") in spans("Please ask Mr. Smith.")


@pytest.mark.parametrize(
    "text",
    [
        "The Galaxy S24 Ultra and the Pixel 8 were compared.",
        "Customer Service was helpful. Shipping was fast.",
        "Our offices in Paris, Charlotte and Sofia are closed.",
        "Wayne Enterprises acquired Stark Industries.",
        "Hi Team, please review.",
        "Dear Customer, your order shipped.",
        "Die Lieferung kam pünktlich, aber die Verpackung war beschädigt.",
        "We met in Florence in April; May was rainy.",
        "Hi, I am online.",
        "API, SDK and CLI docs are in the Admin Console.",
    ],
)
def test_not_names(text):
    assert not any(kind == "PERSON" for kind, _ in spans(text))
