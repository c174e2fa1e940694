"""Person-name detector: a multilingual gazetteer plus context cues (titles, greetings, sign-offs)."""

from __future__ import annotations

import re

from ..findings import EntityType, Finding
from ..names_data import (
    AMBIGUOUS_FIRST,
    AMBIGUOUS_SURNAMES,
    COMPANY_WORDS,
    FIRST_NAMES,
    NON_NAME_WORDS,
    PARTICLES,
    SURNAMES,
    TITLES,
    UNAMBIGUOUS_FIRST,
)
from .base import LETTER, UPPER, word_set

_INITIAL = rf"{UPPER}\.(?![\w])"
_TOKEN = rf"{UPPER}{LETTER}*(?:['’\-]{LETTER}+)*"
_NAME_TOKEN = rf"(?:{_INITIAL}|{_TOKEN})"
_PARTICLE = "(?:" + "|".join(sorted(PARTICLES, key=len, reverse=True)) + ")"
_GAP = rf"[ \t\u00a0]+(?:{_PARTICLE}[ \t\u00a0]+){{0,2}}"

# A run of capitalized words on one line, possibly joined by particles ("Anna de Vries"). It starts with
# the upper-case class itself (the boundary check follows) so that ``re`` can skip lower-case text fast.
RUN_RE = re.compile(
    rf"{UPPER}(?<![\w@.\-/'’#]{UPPER})(?:(?<={UPPER})\.(?![\w])|{LETTER}*(?:['’\-]{LETTER}+)*)"
    rf"(?:{_GAP}{_NAME_TOKEN}){{0,4}}(?![\w@]|\.\w)"
)

# Words (lower-cased) that, as a capitalized token inside a run, announce the name after them.
_GREETING_TOKENS = word_set("""
dear hi hello hey hiya greetings thanks cheers welcome congratulations congrats bye liebe lieber
hallo moin servus bonjour bonsoir salut cher chère chere coucou hola querido querida estimado
estimada ciao caro cara gentile gentilissima gentilissimo buongiorno beste hoi olá ola prezado
prezada oi hej moi ahoj witam dzień cześć merhaba selam salam
""")
_INTRO_TOKENS = frozenset({"i'm", "i’m", "im"})

# Phrases (lower-cased, punctuation dropped) right before a run and what they make of it.
_GREETING_PHRASES = _GREETING_TOKENS | frozenset(
    {
        "good morning",
        "good afternoon",
        "good evening",
        "thank you",
        "many thanks",
        "thanks a lot",
        "sehr geehrte",
        "sehr geehrter",
        "guten tag",
        "guten morgen",
        "buenos días",
        "buenos dias",
        "buenas tardes",
        "buona sera",
        "goedemorgen",
        "goedemiddag",
        "bom dia",
        "boa tarde",
        "dzień dobry",
    }
)
_STRONG_INTROS = frozenset(
    {
        "my name is",
        "my name's",
        "name is",
        "i am called",
        "call me",
        "je m'appelle",
        "je m’appelle",
        "mon nom est",
        "ich heiße",
        "ich heisse",
        "mein name ist",
        "me llamo",
        "mi nombre es",
        "mi chiamo",
        "il mio nome è",
        "mijn naam is",
        "ik heet",
        "meu nome é",
        "me chamo",
        "jag heter",
        "mitt namn är",
        "nazywam się",
        "jmenuji se",
        "signed",
        "signed by",
        "regards from",
        "de la part de",
        "im auftrag von",
        "i.a.",
        "i. a.",
        "gez.",
        "gez",
    }
)
# "I am X": X is a name when it looks like one (two capitalized words, or a known given name).
_SELF_INTROS = frozenset(
    {
        "i am",
        "i'm",
        "i’m",
        "this is",
        "it's",
        "it is",
        "je suis",
        "c'est",
        "ich bin",
        "hier ist",
        "soy",
        "aquí",
        "sono",
        "ik ben",
        "eu sou",
        "sou",
        "jag är",
        "here is",
        "here's",
    }
)
# Words that often precede a name; they only confirm what the gazetteer already suggests.
_CONNECTORS = frozenset(
    {
        "and",
        "und",
        "et",
        "y",
        "e",
        "en",
        "or",
        "with",
        "mit",
        "avec",
        "con",
        "met",
        "com",
        "to",
        "for",
        "für",
        "pour",
        "para",
        "voor",
        "from",
        "von",
        "de",
        "da",
        "van",
        "by",
        "contact",
        "contacted",
        "called",
        "emailed",
        "ask",
        "asked",
        "told",
        "tell",
        "thank",
        "cc",
        "attn",
        "per",
        "spoke with",
        "spoke to",
        "talked to",
        "talked with",
        "met with",
        "meeting with",
        "call with",
        "according to",
    }
)
_NAME_LABELS = frozenset(
    {
        "name",
        "full name",
        "first name",
        "last name",
        "surname",
        "given name",
        "family name",
        "firstname",
        "lastname",
        "nombre",
        "apellido",
        "apellidos",
        "nom",
        "prénom",
        "prenom",
        "nom complet",
        "vorname",
        "nachname",
        "name des kunden",
        "familienname",
        "nome",
        "cognome",
        "naam",
        "voornaam",
        "achternaam",
        "nome completo",
        "sobrenome",
        "imię",
        "nazwisko",
        "namn",
        "navn",
        "nimi",
    }
)
_LABELS = _NAME_LABELS | frozenset(
    {
        "customer",
        "customer name",
        "client",
        "client name",
        "contact",
        "contact person",
        "from",
        "to",
        "cc",
        "bcc",
        "attn",
        "attention",
        "patient",
        "employee",
        "applicant",
        "account holder",
        "cardholder",
        "card holder",
        "beneficiary",
        "recipient",
        "sender",
        "signed",
        "requester",
        "requested by",
        "reported by",
        "assigned to",
        "assignee",
        "owner",
        "author",
        "agent",
        "reviewer",
        "kunde",
        "ansprechpartner",
        "empfänger",
        "absender",
        "cliente",
        "destinatario",
        "remitente",
        "destinataire",
        "expéditeur",
        "titulaire",
        "titular",
        "klant",
        "contactpersoon",
        "ontvanger",
        "paziente",
        "mittente",
        "von",
        "an",
        "de",
        "para",
        "à",
        "a",
        "da",
        "van",
        "aan",
    }
)
_SIGNOFFS = frozenset(
    {
        "regards",
        "best regards",
        "kind regards",
        "warm regards",
        "warmest regards",
        "best wishes",
        "best",
        "thanks",
        "thank you",
        "many thanks",
        "thanks again",
        "cheers",
        "sincerely",
        "yours sincerely",
        "yours truly",
        "yours faithfully",
        "respectfully",
        "all the best",
        "take care",
        "talk soon",
        "love",
        "xoxo",
        "mit freundlichen grüßen",
        "mit freundlichen grüssen",
        "freundliche grüße",
        "viele grüße",
        "liebe grüße",
        "beste grüße",
        "herzliche grüße",
        "grüße",
        "gruß",
        "lg",
        "vg",
        "mfg",
        "cordialement",
        "bien cordialement",
        "bien à vous",
        "amicalement",
        "salutations",
        "merci",
        "bisous",
        "saludos",
        "un saludo",
        "atentamente",
        "saludos cordiales",
        "un abrazo",
        "gracias",
        "cordiali saluti",
        "saluti",
        "distinti saluti",
        "un saluto",
        "grazie",
        "a presto",
        "met vriendelijke groet",
        "met vriendelijke groeten",
        "vriendelijke groet",
        "groeten",
        "groetjes",
        "hartelijke groet",
        "atenciosamente",
        "abraços",
        "cumprimentos",
        "obrigado",
        "obrigada",
        "med vänliga hälsningar",
        "hälsningar",
        "mvh",
        "vennlig hilsen",
        "med venlig hilsen",
        "pozdrawiam",
        "s pozdravem",
        "ystävällisin terveisin",
        "terveisin",
        "--",
        "—",
        "–",
        "-",
        "sent from my iphone",
        "best,",
    }
)
_NEXT_WORD = re.compile(r"[ \t]+([a-z]+)")
# Verbs whose subject is almost always a person ("Cosima Tiramani said ...").
_PERSON_VERBS = word_set("""
said says told tells asked asks replied replies wrote writes called calls emailed texted thinks
thought believes believed wants wanted needs needed agreed agrees confirmed confirms mentioned
mentions explained explains promised promises complained complains reported reports sent sends owes
owed keeps kept lives lived works worked joined left will would can could should may might must is
was has had
""")
_SPEAKER_NEXT = frozenset({"from", "here", "speaking", "with", "at", "von", "de", "di", "da", "van", "bei"})
_PLACE_PREPOSITIONS = frozenset({"in", "near", "nach", "aus", "à", "en", "around", "outside", "downtown"})
_STRIP = ",.:;!?¡¿\"'“”‘’«»()[]"
_DIGIT_START = re.compile(r"\d")
_BREAKS = frozenset("\n\r:,.")
# Every word that can end a cue phrase: a run after any other word needs no further context analysis.
_TRIGGER_WORDS = frozenset(
    phrase.rsplit(" ", 1)[-1]
    for group in (_GREETING_PHRASES, _STRONG_INTROS, _SELF_INTROS, _CONNECTORS, _PLACE_PREPOSITIONS)
    for phrase in group
)

# Scores per context; the gazetteer alone gives 0.6 (a known given name) to 0.9 (given name + surname).
_CONTEXT_SCORE = {
    "title": 0.9,
    "intro": 0.9,
    "label_name": 0.88,
    "signoff": 0.85,
    "greet": 0.8,
    "label": 0.8,
    "self": 0.75,
    "connector": 0.75,
}


def _kinds(*groups: tuple[frozenset[str], str]) -> dict[str, str]:
    """Phrase -> the kind of the first group (in the order given) that holds it."""
    kinds: dict[str, str] = {}
    for phrases, kind in groups:
        for phrase in phrases:
            kinds.setdefault(phrase, kind)
    return kinds


# What a phrase right before a run says, after ":", after ",", and otherwise (first group wins).
_AFTER_COLON = _kinds((_NAME_LABELS, "label_name"), (_LABELS, "label"), (_STRONG_INTROS, "intro"))
_AFTER_COMMA = _kinds((_SIGNOFFS, "greet"), (_GREETING_PHRASES, "greet"))
_BEFORE = _kinds(
    (_STRONG_INTROS, "intro"), (_GREETING_PHRASES, "greet"), (_SELF_INTROS, "self"), (_CONNECTORS, "connector")
)


def _phrase_kind(head: str, kinds: dict[str, str]) -> str | None:
    """The kind of the shortest phrase (one to four words) ending ``head`` that ``kinds`` knows."""
    phrase = ""
    for k, raw in enumerate(reversed(head.rsplit(None, 4)[-4:])):
        word = raw.strip(_STRIP).lower()
        phrase = word if k == 0 else word + " " + phrase
        kind = kinds.get(phrase)
        if kind is not None:
            return kind
    return None


def _context(text: str, start: int) -> str | None:
    """What the characters just before a capitalized run say about it."""
    # Fast exit for the common case: a plain word before the run that announces nothing.
    lo = max(0, start - 40)
    sp = text.rfind(" ", lo, start - 1)
    prev = text[sp + 1 if sp >= 0 else lo : start].strip(" \t\u00a0")
    if prev and prev[-1] not in _BREAKS and prev.lower() not in _TRIGGER_WORDS and prev not in TITLES:
        return None
    window = text[max(0, start - 72) : start]
    w = window.rstrip(" \t\u00a0")
    if not w:
        return None
    last = w[-1]
    if last in "\n\r":
        prev = w.rstrip("\r\n \t")
        line = prev[prev.rfind("\n") + 1 :].strip()
        key = line.rstrip(",.!;: ").strip().lower()
        if key in _SIGNOFFS or line in _SIGNOFFS:
            return "signoff"
        return None
    if last == ":":
        return _phrase_kind(w[:-1], _AFTER_COLON)
    if last == ",":
        return _phrase_kind(w[:-1], _AFTER_COMMA)
    words = w.rsplit(None, 3)  # the last three words (and what precedes them)
    word = words[-1]
    if word.rstrip(".") in TITLES:
        # "12 Oak Dr. Springfield": "Dr" after a house number and a street name is a street type.
        if len(words) >= 3 and _DIGIT_START.match(words[-3]) and word.rstrip(".") in {"Dr", "St"}:
            return None
        return "title"
    if last in ".!?;)":
        return None
    if words[-1].lower() in _PLACE_PREPOSITIONS:
        return "place"  # "our office in Charlotte": a lone given name after "in" is a place
    return _phrase_kind(w, _BEFORE)


def _is_first(word: str) -> bool:
    return word in FIRST_NAMES or ("-" in word and word.split("-", 1)[0] in FIRST_NAMES)


def _name_like(word: str) -> bool:
    if word in NON_NAME_WORDS or word.rstrip(".") in TITLES:
        return False
    if len(word) < 2:
        return False  # "I", "A"; an initial is written "J." (two characters)
    if len(word) > 1 and word.isupper() and not word.endswith("."):
        return False  # acronyms: API, USA, HR
    return word.lower() not in _GREETING_TOKENS


# Words that are never a name as a run of their own (``find`` skips them before any context analysis):
# the non-name words, and single letters that are neither a given name nor name-like ("I", "A").
_NEVER_ALONE = NON_NAME_WORDS | frozenset(
    ch for ch in map(chr, range(0x3000)) if ch.isupper() and not _is_first(ch) and not _name_like(ch)
)

# Tokens that can make a capitalized run a name by themselves (possessive forms are rare enough).
_NAMEISH = (
    FIRST_NAMES | SURNAMES | TITLES | frozenset(w.capitalize() for w in _GREETING_TOKENS | _INTRO_TOKENS)
)


class NameDetector:
    """Capitalized runs scored by gazetteer membership and the context right before them."""

    name = "person_name"

    def find(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        for run in RUN_RE.finditer(text):
            value = run.group()
            word = value[:-2] if value.endswith(("'s", "’s")) else value
            if word in _NEVER_ALONE:
                continue  # the commonest case: "The", "I" (a word alone, never a name)
            if " " not in value and "\t" not in value and "\u00a0" not in value:
                if len(word) > 1 and word.isupper():
                    continue
                if not _is_first(word) and not _name_like(word):
                    continue  # "Hello": ``_scan`` could only skip it, whatever the context
                ctx = _context(text, run.start())
                if ctx is None and word not in UNAMBIGUOUS_FIRST:
                    continue
                tokens = [(run.start(), run.start() + len(word), word)]
            else:
                ctx = _context(text, run.start())
                if ctx is None and _NAMEISH.isdisjoint(value.split()):
                    # No known name part and nothing announcing one: only "X Y said ..." can still be a
                    # person, and only when the run is short and a verb of saying/doing follows.
                    nxt = _NEXT_WORD.match(text, run.end())
                    if nxt is None or nxt.group(1) not in _PERSON_VERBS or value.count(" ") > 2:
                        continue
                tokens = []
                pos = run.start()
                for part in value.split():
                    # The run's words are name tokens (capitalized) and particles between them.
                    pos = text.index(part, pos)
                    start, pos = pos, pos + len(part)
                    if part[0].isupper():
                        token = part[:-2] if part.endswith(("'s", "’s")) else part
                        tokens.append((start, start + len(token), token))
            found += self._scan(text, tokens, ctx)
        return found

    def _scan(self, text: str, tokens: list[tuple[int, int, str]], ctx: str | None) -> list[Finding]:
        found_names: list[Finding] = []
        i, n = 0, len(tokens)
        while i < n:
            word = tokens[i][2]
            if word.rstrip(".") in TITLES:
                ctx, i = "title", i + 1
                continue
            low = word.lower()
            if low in _GREETING_TOKENS:
                ctx, i = "greet", i + 1
                continue
            if low in _INTRO_TOKENS:
                ctx, i = "self", i + 1
                continue
            if word.endswith(".") and len(word) == 2:
                found = self._initials(tokens, i, ctx)
                if found is not None:
                    found_names.append(found[0])
                    ctx, i = None, found[1]
                else:
                    ctx, i = None, i + 1
                continue
            first = _is_first(word)
            if not first and not _name_like(word):
                ctx, i = None, i + 1
                continue
            j = i + 1
            while j < n and (_name_like(tokens[j][2]) or (j == i + 1 and first and tokens[j][2] in SURNAMES)):
                j += 1
            if j < n and tokens[j][2] in COMPANY_WORDS:
                ctx, i = None, j + 1  # "Wayne Enterprises", "Victoria Station"
                continue
            score = self._score(tokens[i:j], ctx, first)
            if score is None and j == n:
                if ctx is None and j - i >= 2:
                    score = self._subject(text, tokens[j - 1][1], tokens[i:j])
                elif ctx == "self" and j - i == 1 and len(word) > 2:
                    # "this is Evander from Royal Mail": an unknown word introduced as the speaker.
                    nxt = _NEXT_WORD.match(text, tokens[i][1])
                    score = 0.7 if nxt is not None and nxt.group(1) in _SPEAKER_NEXT else None
            if score is None:
                ctx, i = None, i + 1
                continue
            found_names.append(Finding(EntityType.PERSON, tokens[i][0], tokens[j - 1][1], score, self.name))
            ctx, i = None, j
        return found_names

    def _initials(
        self, tokens: list[tuple[int, int, str]], i: int, ctx: str | None
    ) -> tuple[Finding, int] | None:
        """Initials, then a name scored as usual or a known surname ("J. Smith", "J. R. R. Tolkien")."""
        n = len(tokens)
        j = i
        while j < n and tokens[j][2].endswith(".") and len(tokens[j][2]) == 2:
            j += 1
        if j == n or not _name_like(tokens[j][2]):
            return None
        k = j + 1
        while k < n and _name_like(tokens[k][2]):
            k += 1
        head = tokens[j][2]
        score = self._score(tokens[j:k], ctx, _is_first(head))
        if score is None and head in SURNAMES and head not in AMBIGUOUS_SURNAMES:
            score = 0.7
        if score is None:
            return None
        return Finding(EntityType.PERSON, tokens[i][0], tokens[k - 1][1], score, self.name), k

    @staticmethod
    def _score(seq: list[tuple[int, int, str]], ctx: str | None, first: bool) -> float | None:
        head = seq[0][2]
        rest = [t[2] for t in seq[1:] if not t[2].endswith(".")]  # skip middle initials
        second = rest[0] if rest else None
        surname_follows = second is not None and second in SURNAMES and second not in AMBIGUOUS_SURNAMES
        if ctx in ("title", "intro", "label_name", "signoff", "greet"):
            return _CONTEXT_SCORE[ctx]
        if ctx in ("label", "self") and ((first and head not in AMBIGUOUS_FIRST) or second is not None):
            return _CONTEXT_SCORE[ctx]
        gazetteer: float | None = None
        if first and second is not None:
            if head not in AMBIGUOUS_FIRST or second in SURNAMES or _is_first(second):
                gazetteer = 0.9 if second in SURNAMES else 0.82
        elif first and head in UNAMBIGUOUS_FIRST and ctx != "place":
            gazetteer = 0.6
        elif second is not None and len(head) > 2 and head not in AMBIGUOUS_SURNAMES:
            if surname_follows:
                gazetteer = 0.65
            elif second in SURNAMES and second not in NON_NAME_WORDS and head not in AMBIGUOUS_FIRST:
                gazetteer = 0.6  # "Miriam Fischer": an unknown given name before a common-word surname
        if gazetteer is not None and ctx == "connector":
            return max(gazetteer, _CONTEXT_SCORE[ctx])
        return gazetteer

    @staticmethod
    def _subject(text: str, end: int, seq: list[tuple[int, int, str]]) -> float | None:
        """Two unknown capitalized words acting as the subject of a verb of saying or doing."""
        if any(len(t[2]) < 3 or t[2].endswith(".") for t in seq[:1]) or len(seq) > 3:
            return None
        m = _NEXT_WORD.match(text, end)
        if m is None or m.group(1) not in _PERSON_VERBS:
            return None
        return 0.6
