"""Detectors for e-mail addresses, phone numbers, IP addresses, personal URLs and user handles.

Patterns start with a character class or a literal (boundary checks come after the first character) so
that ``re`` can skip through text quickly; context is read as words before the match, not by regex.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ..findings import EntityType, Finding
from .base import AnchoredRegex, Reading, RegexDetector, disjoint_from_best, last_word, lowered, word_set, words_before

# --- e-mail and @handles: both anchored on "@" -------------------------------------------------------

_LOCAL_ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
EMAIL_RE = re.compile(r"[\w][\w.%+\-]{0,63}@(?:[\w](?:[\w\-]{0,61}[\w])?\.)+[^\W\d_]{2,24}(?![\w\-]|\.\w)")


class EmailDetector:
    """``local@domain.tld``; finds each "@" and reads the address around it."""

    name = "email"

    def find(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        if "@" not in text:
            return found
        floor = 0
        pos = -1
        while True:
            pos = text.find("@", pos + 1)
            if pos < 0:
                break
            if pos < floor:
                continue
            lo = max(floor, pos - 64)
            # Back over the local part: ASCII local characters in C (rstrip), other alphanumerics one by one.
            start = lo + len(text[lo:pos].rstrip(_LOCAL_ASCII))
            while start > lo and text[start - 1].isalnum():
                start -= 1
                start = lo + len(text[lo:start].rstrip(_LOCAL_ASCII))
            while start < pos and text[start] in ".%+-":
                start += 1  # a local part starts with a word character
            if start == pos:
                continue
            m = EMAIL_RE.match(text, start)
            if m is not None:
                floor = m.end()
                found.append(Finding(EntityType.EMAIL, m.start(), m.end(), 0.99, self.name))
        return found


HANDLE_RE = re.compile(r"@(?<![\w@.+\-/]@)[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?(?![\w@]|\.\w)")
_NOT_HANDLES = frozenset(
    {
        "@here",
        "@channel",
        "@everyone",
        "@all",
        "@team",
        "@media",
        "@import",
        "@keyframes",
        "@property",
        "@staticmethod",
        "@classmethod",
        "@dataclass",
        "@override",
        "@param",
        "@return",
        "@returns",
        "@see",
        "@since",
        "@deprecated",
        "@throws",
        "@author",
        "@font",
        "@page",
        "@supports",
        "@charset",
        "@mention",
        "@pytest",
        "@app",
        "@login_required",
        "@api_view",
        "@admin",
        "@support",
        "@todo",
        "@test",
        "@type",
        "@interface",
        "@end",
        "@implementation",
        "@synthesize",
        "@autowired",
        "@functools",
        "@cached_property",
        "@abstractmethod",
        "@receiver",
        "@transaction",
        "@shared_task",
        "@task",
        "@register",
    }
)


def _handle(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    s = m.group()
    if len(s) < 3 or s.lower() in _NOT_HANDLES or s[1:].isdigit():
        return None
    return 0.8, m.start(), m.end()


def email_detector() -> EmailDetector:
    return EmailDetector()


def handle_detector() -> RegexDetector:
    return RegexDetector("handle", EntityType.USERNAME, HANDLE_RE, validate=_handle)


# --- phone ------------------------------------------------------------------------------------------

_PHONE_FIRST = r"[+(0-9]"
_PHONE_GUARD = r"(?<![\w+/=\#@.,\-][+(0-9])"  # not inside a word or another number
_PHONE_REST = r"""(?=[\d \t.\-()/]{6})
    (?:(?<=\+)\d{1,3}[ .\-]?(?:\(0\)[ .\-]?)?(?:\(\d{1,5}\)[ .\-]?)?\d{1,12}   # +CC (0)AA ...
      |(?<=\()\d{1,5}\)[ .\-]?\d{1,12}                                       # (AAA) ...
      |(?<=[0-9])\d{0,11})                                                  # 0AA ..., 00CC ...
    (?:[ .\-/]\d{1,8}){0,6}
    (?![\w@]|[.\-/]\d)"""
# Seven digits or more, and not a date (12/03/2024, 2024-03-12): dates are the commonest number shape.
_PHONE_PROBE = (
    r"(?=[\d .\-/()]{6})"  # six more digits with separators: six such characters in a row, a fast first test
    r"(?!\d?[./\-]\d{1,2}[./\-]\d{2,4}(?!\d|[./\-]\d)|\d{3}[./\-]\d{1,2}[./\-]\d{1,2}(?!\d|[./\-]\d))"
    r"[ .\-/()]{0,2}(?:[ .\-/()]{0,3}\d){6}"
)
_DATE_LIKE = re.compile(r"\d{1,4}([./\-])\d{1,2}\1\d{1,4}")
_NANP = re.compile(r"(?:1[ .\-])?(?:\(\d{3}\)[ ]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}")
PHONE_WORDS = word_set("""
tel tél tlf phone ph call calling mobile mob cell cellphone fax whatsapp sms dial handy telefon
telefono teléfono téléphone telephone portable móvil movil tfno cellulare cel celular mobiel
telefoonnummer hotline rufnummer festnetz telemóvel telemovel llámame llamar chiamami bel appelez
anrufen reach
""")
_NUMBER_WORDS = frozenset({"number", "nummer", "numéro", "número", "numero", "no", "nr"})


def _phone_context(text: str, start: int) -> bool:
    """A phone word shortly before ``start``, or "number" not qualified as an order/serial/... number."""
    words = words_before(text, start, 36)
    if not PHONE_WORDS.isdisjoint(words):
        return True
    for i, w in enumerate(words):
        if w in _NUMBER_WORDS and w not in {"no", "nr"} and (i == 0 or words[i - 1] not in NOT_PHONE_WORDS):
            return True
    return False


NOT_PHONE_WORDS = word_set("""
order invoice inv ref reference ticket case tracking track serial sn isbn issn ean upc model part
sku article art item account acct po bestellung bestellnummer rechnung auftrag kundennummer commande
facture pedido factura ordine fattura bestelling factuur version build id nr batch lot policy claim
booking reservation confirmation receipt transaction txn customer member membership voucher coupon
code pin postcode zip iban bic swift bsn ssn steuer dni nie nir
""")


_GROUP_BREAK = re.compile(r"[ .\-/](?=\d)")
_MAX_DIGITS = 15  # E.164
_PUNCTUATION = b" .-/()+"


def _digit_count(s: str) -> int:
    """The digits of a phone candidate, which holds digits and `` .-/()+`` only."""
    if s.isascii():
        return len(s.encode("ascii").translate(None, _PUNCTUATION))
    return sum(map(str.isdigit, s))


def _digit_limit(s: str) -> int:
    """The most digits a phone written like ``s`` can have (E.164, plus the "00" prefix)."""
    return _MAX_DIGITS + 2 if s.startswith("00") else _MAX_DIGITS if s[0] == "+" else 12


def _read(text: str, start: int, s: str) -> Reading | None:
    """Score the run ``s`` at ``start`` as one phone: a run with too many digits is cut back group by group
    ("+91 90000 00000 2024"), then a short trailing token or two is dropped until it reads as a phone
    ("(100) 000-0000 3.5")."""
    n = _digit_count(s)
    limit = _digit_limit(s)
    cuts: list[int] | None = None  # where groups start; found only when needed (most runs read at once)
    if n > limit:
        cuts = [b.start() for b in _GROUP_BREAK.finditer(s)]
        while n > limit and cuts:
            s = s[: cuts.pop()]
            n = _digit_count(s)
    for _ in range(3):
        found = _phone_score(text, start, s, n)
        if found is not None:
            return found
        if " " not in s:
            return None  # no trailing token to drop
        if cuts is None:
            cuts = [b.start() for b in _GROUP_BREAK.finditer(s)]
        spaces = [c for c in cuts if s[c] == " "]
        if not spaces or len(s) - spaces[-1] > 6:
            return None
        s = s[: spaces[-1]]
        n = _digit_count(s)
        cuts = [c for c in cuts if c < len(s)]
    return None


# More groups of a number written in groups, after where the phone pattern (seven groups at most) stopped.
_MORE_GROUPS = re.compile(r"(?:[ .\-/]\d+)+")
_GROUP_SEPARATORS = (" ", ".", "-", "/")


def _phones(
    text: str, m: re.Match[str], pattern: re.Pattern[str]
) -> tuple[list[Reading], list[Reading]]:
    """The phone readings of a candidate run ``m`` of ``pattern``: the match read from its start and from
    each later group with a trunk "0" ("2024 020 7946 0958"); then, as more readings, the run read again
    with ``pattern`` from each trunk group where that reaches past the match (the pattern stops after
    seven groups) or where the match ends. The best of the first readings is the finding; the others can
    only be fallbacks (a run can hold several numbers, "0171/0000000 2024 0171/0000001", and no anchor
    reaches the later ones: anchors inside a number written in groups are skipped).
    """
    whole = m.group()
    start, end = m.span()
    if text.startswith(_GROUP_SEPARATORS, end) and text[end + 1 : end + 2].isdecimal():
        more = _MORE_GROUPS.match(text, end)  # the number goes on past the match
        if more is not None:
            end = more.end()
    trunk = text.find(" 0", start, end - 1)
    if trunk < 0:
        found = _read(text, start, whole)
        return ([] if found is None else [found]), []
    readings: list[Reading] = []
    more_readings: list[Reading] = []
    found = _read(text, start, whole)
    if found is not None:
        readings.append(found)
    while trunk >= 0:
        at = trunk + 1
        within = at < m.end()
        if within:
            found = _read(text, at, whole[at - start :])
            if found is not None:
                readings.append(found)
        again = pattern.match(text, at)
        if again is not None and (not within or again.end() > m.end()):
            found = _read(text, at, again.group())
            if found is not None:
                more_readings.append(found)
        trunk = text.find(" 0", at, end - 1)
    return readings, more_readings


class PhoneDetector(AnchoredRegex):
    """Phone numbers (anchored); one candidate run can hold several numbers (see ``_phones``)."""

    def __init__(self) -> None:
        super().__init__(
            "phone",
            EntityType.PHONE,
            first=_PHONE_FIRST,
            guard=_PHONE_GUARD,
            rest=_PHONE_REST,
            probe=_PHONE_PROBE,
            flags=re.VERBOSE,
        )

    def at(self, text: str, start: int) -> tuple[Finding, ...]:
        m = self.pattern.match(text, start)
        if m is None:
            return ()
        readings, more = _phones(text, m, self.pattern)
        if len(readings) == 1 and not more:  # the common case, without the general bookkeeping
            score, s, e = readings[0]
            return (Finding(self.kind, s, e, score, self.name),)
        return disjoint_from_best(self.kind, self.name, readings, more)


def _vetoed(text: str, start: int, chained: bool) -> bool:
    """An order/reference/tracking word says this is not a phone. For a number chained to digits before
    it ("Reference 8261 0968 5023 1494", "1Z 999 AA1 01 2345 6784") the word may be a few tokens back."""
    if last_word(text, start) in NOT_PHONE_WORDS:
        return not _phone_context(text, start)
    if not chained:
        sp = text.rfind(" ", max(0, start - 24), max(0, start - 1))
        chained = sp >= 0 and any(ch.isdigit() for ch in text[sp + 1 : start])
    if chained:
        return not NOT_PHONE_WORDS.isdisjoint(words_before(text, start, 24)) and not _phone_context(
            text, start
        )
    return False


def _phone_score(text: str, start: int, s: str, n: int, *, chained: bool = False) -> tuple[float, int, int] | None:
    """Score ``s`` (``n`` digits) at ``start`` as a phone number, or None."""
    if n < 7 or n > 17:
        return None
    end = start + len(s)
    if s[0] == "+" or s.startswith("00"):
        national = n - (2 if s.startswith("00") else 0)
        if not 8 <= national <= 15:
            return None
        if s[0] == "0" and _vetoed(text, start, chained):
            return None  # "Reference 0055 5165 8819 4889"
        return 0.95, start, end
    seps = {ch for ch in " .-/" if ch in s}
    if ("." in seps or "/" in seps or "-" in seps) and _DATE_LIKE.fullmatch(s):
        return None
    if seps == {"."} and (s.count(".") in (1, 3) or all(len(g) == 3 for g in s.split(".")[1:])):
        return None  # a decimal, an IPv4 shape or a dotted thousands number
    # A NANP number holds two separators (or parentheses) besides its ten or eleven digits.
    if 10 <= n <= 11 and (s[0] == "(" or (len(s) - n >= 2 and _NANP.fullmatch(s))):
        score = 0.8
    elif s[0] == "0" and 9 <= n <= 12 and (seps or n in (10, 11)):
        score = 0.75
    elif 9 <= n <= 12 and len(seps) == 1 and len(s.split(next(iter(seps)))) >= 3:
        score = 0.45
    elif 7 <= n <= 12:
        score = 0.3
    else:
        return None
    if score < 0.7:
        # Ambiguous shapes ("612 345 678", "5551234") count only with a phone word before them.
        if last_word(text, start) in NOT_PHONE_WORDS or not _phone_context(text, start):
            return None
        score += 0.2
    elif _vetoed(text, start, chained):
        score -= 0.4  # "order 0012 3456 789"
    return score, start, end


def phone_detector() -> PhoneDetector:
    return PhoneDetector()


# --- IP addresses -----------------------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4_REST = r"[0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![\w]|\.\d)"
_FULL_IPV4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
_VERSION_WORDS = frozenset({"version", "ver", "v", "release", "build", "firmware", "fw", "sdk", "api", "os"})


def _ipv4(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """Dotted quads with every octet in 0-255; loopback, 0.0.0.0 and netmasks are skipped."""
    s = m.group()
    if not _FULL_IPV4.fullmatch(s) or s.split(".", 1)[0] in {"0", "127", "255"}:
        return None  # unspecified, loopback and netmasks identify nobody
    return (0.4 if last_word(text, m.start()) in _VERSION_WORDS else 0.9), m.start(), m.end()


_COLON_PAIR = re.compile(r":[0-9A-Fa-f]{0,4}:")
_HEX_COLON = frozenset("0123456789abcdefABCDEF:")
IPV6_RE = re.compile(
    r"(?:[0-9A-Fa-f]{1,4}|(?=::))(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\w)"
)


class Ipv6Detector:
    """IPv6 in full, compressed or IPv4-mapped form, validated by ``ipaddress``; anchored on "x:x:"."""

    name = "ipv6"

    def find(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        if "::" not in text and text.count(":") < 2:
            return found
        floor = 0
        for c in _COLON_PAIR.finditer(text):
            if c.start() < floor:
                continue
            start = c.start()
            lo = max(floor, start - 5)
            while start > lo and text[start - 1] in _HEX_COLON:
                start -= 1
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_."):
                continue
            m = IPV6_RE.match(text, start)
            if m is None:
                continue
            floor = m.end()
            try:
                addr = ipaddress.IPv6Address(m.group())
            except ValueError:
                continue
            if addr.is_loopback or addr.is_unspecified:
                continue
            found.append(Finding(EntityType.IP, m.start(), m.end(), 0.9, self.name))
        return found


def ipv4_detector() -> AnchoredRegex:
    return AnchoredRegex(
        "ipv4",
        EntityType.IP,
        first="[0-9]",
        guard=r"(?<![\w.][0-9])",
        rest=_IPV4_REST,
        probe=_IPV4_REST,
        validate=_ipv4,
    )


def ipv6_detector() -> Ipv6Detector:
    return Ipv6Detector()


# --- URLs with a personal path ----------------------------------------------------------------------

_URL_BODY = r"[^\s<>\"'{}|\\^`\[\]]+"
URL_SCHEME_RE = re.compile(rf"(?:[hH][tT][tT][pP][sS]?://|[wW][wW][wW]\.){_URL_BODY}")
_SOCIAL = (
    "facebook|fb|instagram|twitter|x|linkedin|github|gitlab|tiktok|youtube|reddit|medium|vk|pinterest|"
    "threads|snapchat|t|bsky|flickr|soundcloud|twitch|behance|dribbble|about|keybase|mastodon"
)
_BARE_SOCIAL_RE = re.compile(
    rf"(?:(?:m|www|mobile)\.)?(?:{_SOCIAL})\.(?:com|me|net|app|ru|io|tv|social)/{_URL_BODY}"
)
_TLD_SLASH = re.compile(r"\.(?:com|me|net|app|ru|io|tv|social)/")
_URL_TRAIL = ".,;:!?)'\"»]"
_SOCIAL_HOSTS = frozenset(
    {
        "facebook.com",
        "fb.com",
        "instagram.com",
        "twitter.com",
        "x.com",
        "tiktok.com",
        "t.me",
        "vk.com",
        "pinterest.com",
        "threads.net",
        "snapchat.com",
        "flickr.com",
        "soundcloud.com",
        "twitch.tv",
        "behance.net",
        "dribbble.com",
        "about.me",
        "keybase.io",
        "bsky.app",
        "mastodon.social",
        "medium.com",
    }
)
_ONE_SEGMENT_HOSTS = frozenset({"github.com", "gitlab.com"})
_NON_PERSONAL_SEGMENTS = frozenset(
    {
        "",
        "help",
        "about",
        "settings",
        "login",
        "signup",
        "share",
        "sharer",
        "sharer.php",
        "intent",
        "home",
        "search",
        "explore",
        "hashtag",
        "policies",
        "legal",
        "privacy",
        "terms",
        "i",
        "watch",
        "results",
        "company",
        "jobs",
        "groups",
        "events",
        "pages",
        "marketplace",
        "business",
        "ads",
        "developers",
        "features",
        "pricing",
        "enterprise",
        "topics",
        "trending",
        "collections",
        "sponsors",
        "orgs",
        "organizations",
        "login.php",
        "feed",
        "notifications",
        "messages",
        "status",
        "docs",
        "blog",
        "embed",
        "shorts",
        "playlist",
        "tag",
        "tags",
        "r",
        "new",
        "top",
        "watch?v",
        "gp",
        "dialog",
        "plugins",
    }
)
_PERSONAL_PATH = re.compile(
    r"/(?:[uU]sers?|u|[pP]rofiles?|people|persons?|members?|accounts?|authors?|customers?|employees?|"
    r"staff|patients?|students?|contacts?|in|pub|~)/+[^/?#]+|/~[^/?#]+|/@[^/?#]+"
)
_PERSONAL_QUERY = re.compile(
    r"(?:^|[?&;])(?:user|uid|user_?id|userid|username|user_?name|email|e-mail|mail|profile(?:_?id)?|"
    r"account(?:_?id)?|customer(?:_?id)?|member(?:_?id)?|name|login|phone|person(?:_?id)?|"
    r"patient(?:_?id)?|employee(?:_?id)?)=[^&#]+",
    re.IGNORECASE,
)


def personal_url(url: str) -> bool:
    """Whether ``url`` points at one person (a profile, a home directory, a ``?user=`` query)."""
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    for prefix in ("www.", "m.", "mobile."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    segments = [s for s in parts.path.split("/") if s]
    first = segments[0].lower() if segments else ""
    if host == "linkedin.com":
        return first in {"in", "pub"} and len(segments) >= 2
    if host == "youtube.com":
        return first.startswith("@") or (first in {"user", "c", "channel"} and len(segments) >= 2)
    if host in _ONE_SEGMENT_HOSTS:
        return len(segments) == 1 and first not in _NON_PERSONAL_SEGMENTS
    if host in {"reddit.com", "old.reddit.com"}:
        return first in {"u", "user"} and len(segments) >= 2
    if host in _SOCIAL_HOSTS:
        return bool(segments) and first not in _NON_PERSONAL_SEGMENTS
    if _PERSONAL_PATH.search(parts.path):
        return True
    return bool(parts.query) and _PERSONAL_QUERY.search(parts.query) is not None


class PersonalUrlDetector:
    """URLs that point at one person: social profiles, ``/users/123``, ``/~bob``, ``?user=``."""

    name = "personal_url"

    def find(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        if "/" not in text:
            return found
        seen_end = -1
        for m in self._candidates(text):
            if m.start() < seen_end:
                continue
            url, end = m.group(), m.end()
            while url and url[-1] in _URL_TRAIL:
                if url[-1] == ")" and url.count("(") >= url.count(")"):
                    break
                url, end = url[:-1], end - 1
            seen_end = end
            if url and personal_url(url):
                found.append(Finding(EntityType.URL, m.start(), end, 0.87, self.name))
        return found

    @staticmethod
    def _candidates(text: str) -> list[re.Match[str]]:
        found: list[re.Match[str]] = []
        low = lowered(text) or text
        floor = 0
        for needle in ("http", "www."):
            pos = low.find(needle)
            while pos >= 0:
                m = URL_SCHEME_RE.match(text, pos) if pos >= floor or needle == "www." else None
                if m is not None and not (pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "/.")):
                    found.append(m)
                    if needle == "http":
                        floor = m.end()
                pos = low.find(needle, pos + 1)
        for t in _TLD_SLASH.finditer(text):
            start = t.start()
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in ".-"):
                start -= 1
            if start > 0 and text[start - 1] in "/@":
                continue  # part of a URL with a scheme, or an e-mail
            m = _BARE_SOCIAL_RE.match(text, start)
            if m is not None:
                found.append(m)
        found.sort(key=lambda m: m.start())
        return found
