"""Detectors for street addresses (several languages' word orders) and GPS coordinates."""

from __future__ import annotations

import re

from ..findings import EntityType, Finding
from ..names_data import NON_NAME_WORDS
from .base import LETTER, UPPER, Anchored, AnchoredRegex, any_of, word_set, words_before

_CAP = rf"{UPPER}{LETTER}*(?:['’\-.]{LETTER}+)*"
_H = r"[ \t\u00a0]"
_HS = r" \t\u00a0"

# Number first. English: "221B Baker Street", "1600 Pennsylvania Ave NW, Suite 4";
# French: "12 rue de la Paix", "5 bis, avenue Foch".
_EN_TYPES = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Place|Pl|Square|Sq|"
    "Terrace|Terr|Ter|Close|Crescent|Cres|Way|Highway|Hwy|Parkway|Pkwy|Circle|Cir|Trail|Trl|Row|Mews|"
    "Grove|Gardens|Gdns|Walk|Parade|Esplanade|Alley|Plaza|Hill|Rise|Park|Green|Broadway|Causeway|Wharf"
)
_FULL_TYPES = frozenset(t.lower() for t in _EN_TYPES.split("|") if len(t) > 4) | {"way", "row"}
_UNIT = r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|Floor|Room|Rm|Bldg|Building)\.?"
_FR_TYPES = (
    "rue du faubourg|rue|avenue|av\\.|boulevard|bd|bld|place|pl\\.|allée|allee|chemin|impasse|quai|cours|"
    "route|passage|square|faubourg|voie|sentier|esplanade|promenade|rond-point|montée|ruelle"
)
_FR_PART = r"(?:de|du|des|la|le|les|l['’]|d['’]|aux|au|à|sur|en|sous|et|saint|sainte|st|ste)"
_NUMBER_FIRST_GUARD = r"(?<![\w.,\-/][0-9])"
_NUMBER_FIRST_REST = (
    rf"\d{{0,4}}+(?:"
    rf"(?P<en>[A-Za-z]?(?:[\-–]\d{{1,5}})?{_H}+"
    rf"(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?{_H}+)?"
    rf"(?:(?:{_CAP}|\d{{1,3}}(?:st|nd|rd|th)){_H}+){{1,4}}"
    rf"{any_of(_EN_TYPES)}\b\.?"
    rf"(?:{_H}+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
    rf"(?:,?{_H}*(?:{_UNIT}|\#){_H}*\#?[A-Za-z0-9\-]{{1,6}}\b)?)"
    rf"|(?P<fr>(?:{_H}?(?:bis|ter|quater|[A-D])\b)?,?{_H}+{any_of(_FR_TYPES)}{_H}+"
    rf"(?:(?i:{_FR_PART})[{_HS}\-]*){{0,3}}{_CAP}"
    rf"(?:[{_HS}\-]+(?:(?i:{_FR_PART})[{_HS}]*)*{_CAP}){{0,4}})"
    rf")"
)
NUMBER_FIRST_RE = re.compile("[0-9]" + _NUMBER_FIRST_GUARD + _NUMBER_FIRST_REST)
_NUMBER_FIRST_PROBE_FULL = _NUMBER_FIRST_REST.replace("(?P<en>", "(?:").replace("(?P<fr>", "(?:")
_UNIT_BEFORE = re.compile(rf"{_UNIT}{_H}*\#?\w{{1,5}},?{_H}+$")

# Street first, number after. Germanic and Nordic compounds ("Hauptstraße 12a", "Keizersgracht 123",
# "Drottninggatan 5"), separate type words ("Berliner Straße 5", "Karl Johans gate 22"), and Romance
# ("Calle de Alcalá, 45", "Via Roma 10", "Rua Augusta, 25").
_SUFFIXES = (
    "straße",
    "strasse",
    "str.",
    "weg",
    "gasse",
    "platz",
    "allee",
    "ring",
    "damm",
    "ufer",
    "chaussee",
    "steig",
    "pfad",
    "stieg",
    "straat",
    "laan",
    "gracht",
    "plein",
    "kade",
    "singel",
    "dijk",
    "dreef",
    "steeg",
    "gatan",
    "gata",
    "vägen",
    "väg",
    "gränd",
    "gade",
    "vej",
    "stræde",
    "veien",
    "vegen",
    "katu",
    "tie",
    "kuja",
)
_TYPE_WORDS = frozenset(
    {
        "straße",
        "strasse",
        "str.",
        "weg",
        "gasse",
        "platz",
        "allee",
        "ring",
        "damm",
        "ufer",
        "chaussee",
        "gate",
        "gata",
        "vei",
        "vej",
        "gade",
        "laan",
        "calle",
        "c/",
        "avenida",
        "avda",
        "avda.",
        "av.",
        "paseo",
        "pº",
        "plaza",
        "pza",
        "pza.",
        "carrer",
        "avinguda",
        "avgda",
        "passeig",
        "plaça",
        "ronda",
        "camino",
        "carretera",
        "travesía",
        "travesia",
        "glorieta",
        "via",
        "viale",
        "piazza",
        "piazzale",
        "corso",
        "largo",
        "vicolo",
        "strada",
        "contrada",
        "lungomare",
        "borgo",
        "rua",
        "travessa",
        "praça",
        "praca",
        "alameda",
        "estrada",
        "rambla",
        "ulica",
        "ul.",
        "aleja",
        "al.",
        "plac",
    }
)
_LOWER_TYPES = frozenset({"gate", "gata", "vei", "vej", "gade"})
_PREP_WORDS = frozenset(
    {"Am", "An", "Auf", "Im", "In", "Unter", "Zum", "Zur", "Hinter", "Vor", "Laan", "Sankt"}
)
_WORD_TYPES = (
    "Straße|Strasse|Str\\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Chaussee|gate|gata|vei|vej|gade|Laan"
)
_PREPS = (
    "Am|An der|An den|Auf der|Auf dem|Im|In der|In den|Unter den|Zum|Zur|Hinter der|Vor dem|Laan van|"
    "Burgemeester|Sankt|St\\."
)
_NUM_TAIL = rf"{_H}+\d{{1,4}}{_H}?[a-zA-Z]?(?:[\-/]\d{{1,4}}[a-zA-Z]?)?"
_DE = (
    rf"(?:{UPPER}{LETTER}*(?:-{LETTER}+)*-?(?i:{'|'.join(re.escape(s) for s in _SUFFIXES)})"
    rf"|{_CAP}(?:[ \-]{_CAP}){{0,2}}{_H}+(?:{_WORD_TYPES})"
    rf"|(?:{_PREPS}){_H}+{_CAP}(?:{_H}+{_CAP})?)"
    rf"{_NUM_TAIL}"
)
_ROM_TYPES = (
    "calle|c/|avenida|avda\\.?|av\\.|paseo|pº|plaza|pza\\.?|carrer|avinguda|avgda\\.?|passeig|plaça|ronda|"
    "camino|carretera|travesía|travesia|glorieta|via|viale|piazza|piazzale|corso|largo|vicolo|strada|"
    "contrada|lungomare|borgo|rua|travessa|praça|praca|alameda|estrada|rambla|ulica|ul\\.|aleja|al\\.|plac"
)
_ROM_PART = (
    r"(?:de|del|de la|de las|de los|d['’]|dels|de l['’]|della|delle|dei|degli|dello|di|do|da|dos|das|"
    r"la|el|les|lo|san|santa|santo|são|sant|y|i|e)"
)
_ROM = (
    rf"{any_of(_ROM_TYPES)}{_H}*(?:(?i:{_ROM_PART}){_H}+|(?i:d['’]|l['’])){{0,3}}"
    rf"(?P<rname>(?:{_CAP}|\d{{1,3}}|[IVXLC]+\b)(?:[{_HS}\-]+(?:(?i:{_ROM_PART}){_H}+)*"
    rf"(?:{_CAP}|[IVXLC]+\b)){{0,5}})"
    rf",?{_H}*(?:(?i:n[º°o]\.?|nr\.?|núm\.?|número|num\.?|\#){_H}*)?\d{{1,4}}[a-zA-Z]?(?:[\-/]\d{{1,4}})?"
)
STREET_FIRST_RE = re.compile(rf"(?<![\w.\-])(?:(?P<de>{_DE})|(?P<rom>{_ROM}))")
# A house number right after a word: "…straße 12", "…Roma, 10", "… nº 5".
_HOUSE_GUARD = r"(?:(?<=[^\W\d_][ \t,][0-9])|(?<=[.,º°#][ \t,][0-9]))"
_HOUSE_REST = r"\d{0,3}+(?:[ \t]?[a-zA-Z](?![\w]))?(?:[\-/]\d{1,4}[a-zA-Z]?)?(?![\w]|[.,:]\d)"
_HOUSE_NUMBER = re.compile("[0-9]" + _HOUSE_GUARD + _HOUSE_REST)
_NAME_WORD = re.compile(rf"{UPPER}{LETTER}*")


class NumberFirstAddress:
    """English and French order: the number comes first ("221B Baker Street", "12 rue de la Paix")."""

    name = "street_address"
    first = "[0-9]"
    guard = _NUMBER_FIRST_GUARD
    probe = _NUMBER_FIRST_PROBE_FULL

    def at(self, text: str, start: int) -> tuple[Finding, ...]:
        m = NUMBER_FIRST_RE.match(text, start)
        if m is None:
            return ()
        end = m.end()
        if m.group("en") is not None:
            unit = _UNIT_BEFORE.search(text, max(0, start - 24), start)
            if unit is not None:
                start = unit.start()
        while end > start and text[end - 1] in ",;: \t":
            end -= 1
        if (
            text[end - 1] == "."
            and text[max(start, end - 12) : end - 1].rsplit(None, 1)[-1].lower() in _FULL_TYPES
        ):
            end -= 1  # "12 Baker Street." ends the sentence; "12 Main St." is an abbreviation
        return (Finding(EntityType.ADDRESS, start, end, 0.9, self.name),)


class StreetFirstAddress:
    """Street first, number after ("Hauptstraße 12", "Via Roma 10", "Karl Johans gate 22").

    Anchored on the house number (in the numeric scan); the street is read backwards from it. Only a
    number after a capitalized word or a street suffix gets the full pattern.
    """

    name = "street_address"
    first = "[0-9]"
    guard = _HOUSE_GUARD
    probe = _HOUSE_REST
    exclusive = True  # a house number (1-4 digits) is never also a phone, card or id

    def at(self, text: str, start: int) -> tuple[Finding, ...]:
        sp = text.rfind(" ", max(0, start - 40), start - 1)
        word = text[sp + 1 : start].strip(" \t,")
        if not word or not (word[0].isupper() or word.lower().endswith(_SUFFIXES) or word in _LOWER_TYPES):
            return ()
        num = _HOUSE_NUMBER.match(text, start)
        if num is None:
            return ()
        words = text[max(0, start - 72) : start].split()
        recent = words[-7:]
        if (
            not recent[-1].rstrip(",").lower().endswith(_SUFFIXES)
            and _TYPE_WORDS.isdisjoint([w.lower() for w in recent])
            and _PREP_WORDS.isdisjoint(recent[-4:])
        ):
            return ()
        lo = max(0, start - 72)
        nl = text.rfind("\n", lo, start)
        lo = nl + 1 if nl >= 0 else lo
        m = STREET_FIRST_RE.search(text, lo, num.end())
        while m is not None and not (start < m.end() <= num.end()):
            m = STREET_FIRST_RE.search(text, m.start() + 1, num.end())
        if m is None or (
            m.end() < len(text)
            and text[m.end()].isalnum()
            and m.end() < num.end()
            and text[m.end() - 1].isdigit()
        ):
            return ()
        if m.group("rom") is not None:
            # "via Zoom 5 times": the name must hold a word that is not a product or a common noun.
            names = _NAME_WORD.findall(m.group("rname") or "")
            if names and all(w in NON_NAME_WORDS or (w.isupper() and len(w) > 1) for w in names):
                return ()
        return (Finding(EntityType.ADDRESS, m.start(), m.end(), 0.9, self.name),)


def address_detectors() -> list[Anchored]:
    return [NumberFirstAddress(), StreetFirstAddress()]


# --- GPS --------------------------------------------------------------------------------------------

_DEG = r"(?:°|º|deg)?"
# The latitude group starts before the anchored first character, so the pattern is written whole.
_GPS_GUARD = r"(?<![\w.\-+−][\-+−0-9])"
GPS_RE = re.compile(
    rf"(?P<lat>[\-+−0-9]{_GPS_GUARD}(?:(?<=[\-+−])\d{{1,2}}|(?<=[0-9])\d?)\.\d{{3,9}})"
    rf"{_H}*{_DEG}{_H}*(?P<ns>[NS]\b)?{_H}*"
    rf"(?P<comma>,)?{_H}*(?:(?i:lon(?:g(?:itude)?)?|lng){_H}*[:=]?{_H}*)?"
    rf"(?P<lon>[\-+−]?\d{{1,3}}\.\d{{3,9}}){_H}*{_DEG}{_H}*(?P<ew>[EWO]\b)?(?![\w]|\.\d)"
)
_DMS_REST = (
    r"\d?°\s?\d{1,2}['′]\s?\d{1,2}(?:\.\d+)?(?:\"|″|'')\s?[NS][\s,]*"
    r"\d{1,3}°\s?\d{1,2}['′]\s?\d{1,2}(?:\.\d+)?(?:\"|″|'')\s?[EWO](?![\w])"
)
GPS_WORDS = word_set("""
gps lat latitude lon longitude lng coord coords coordinate coordinates location position located pin
geo standort koordinaten coordonnées coordenadas posizione ubicación ubicacion locatie latlng where
""")


def _gps(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    lat = float(m.group("lat").replace("−", "-"))
    lon = float(m.group("lon").replace("−", "-"))
    marked = m.group("ns") is not None or m.group("ew") is not None
    if m.group("comma") is None and not marked:
        return None
    if abs(lat) > 90 or abs(lon) > 180:
        return None
    context = not GPS_WORDS.isdisjoint(words_before(text, m.start(), 56))
    decimals = min(len(m.group("lat").split(".")[1]), len(m.group("lon").split(".")[1]))
    if abs(lat) < 1.5 and abs(lon) < 1.5 and not (marked or context):
        return None  # (0.91, 0.87) is a pair of scores, not a place in the Gulf of Guinea
    score = 0.88 if (decimals >= 4 or marked or context) else 0.4
    end = m.end()
    while text[end - 1] in " \t":
        end -= 1
    return score, m.start(), end


# Both GPS probes need a "." or "°" within the next three characters ("12.345", "45°").
_GPS_GATE = r"\d{0,2}[.°]"


class DecimalGps(AnchoredRegex):
    """Decimal "lat, lon" pairs in range, with enough decimals, hemisphere letters or a location word."""

    def __init__(self) -> None:
        super().__init__(
            "gps_decimal",
            EntityType.GPS,
            first=r"[\-+−0-9]",
            guard=_GPS_GUARD,
            rest="",
            probe=r"(?:(?<=[\-+−])\d{1,2}|(?<=[0-9])\d?)\.\d{3}",
            validate=_gps,
            gate=_GPS_GATE,
        )
        self.pattern = GPS_RE


def gps_detectors() -> list[AnchoredRegex]:
    return [
        DecimalGps(),
        AnchoredRegex(
            "gps_dms",
            EntityType.GPS,
            first="[0-9]",
            guard=r"(?<![\w][0-9])",
            rest=_DMS_REST,
            probe=_DMS_REST,
            score=0.9,
            gate=_GPS_GATE,
        ),
    ]
