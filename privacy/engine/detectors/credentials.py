"""Detectors for credentials (API keys, tokens, JWTs, private keys, assigned secrets) and user names."""

from __future__ import annotations

import re

from ..checksums import shannon_entropy
from ..findings import EntityType, Finding
from .base import RegexDetector, lowered

_SECRET = EntityType.SECRET

# Each pattern starts with a literal, so ``re`` finds candidates with a fast substring search.
AWS_KEY_RE = re.compile(
    r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA|BIA|CCA)(?<![A-Za-z0-9]A...)[0-9A-Z]{16}(?![\w])"
)
_GITHUB_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")
_AWS_PREFIXES = ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA")
GITHUB_RE = re.compile(
    r"gh[pousr]_(?<![A-Za-z0-9]gh._)[A-Za-z0-9]{36,255}(?![\w])|github_pat_[A-Za-z0-9_]{22,255}"
)
SLACK_RE = re.compile(r"xox[abposr]-[A-Za-z0-9\-]{10,250}|https://hooks\.slack\.com/services/[A-Za-z0-9/_]+")
STRIPE_RE = re.compile(r"_(?:live|test)_[A-Za-z0-9]{16,247}(?![\w])")
GOOGLE_RE = re.compile(r"AIza[0-9A-Za-z_\-]{35}(?![\w\-])")
OPENAI_RE = re.compile(r"sk-(?<![A-Za-z0-9]sk-)(?:proj-|ant-)?[A-Za-z0-9_\-]{20,200}(?![\w\-])")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{10,}")
PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN[ A-Z0-9]{0,20}PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]{0,20000}?-----END[ A-Z0-9]{0,20}PRIVATE KEY(?: BLOCK)?-----)?"
)
DSN_RE = re.compile(r"://[^:\s/@]{1,64}:(?P<val>[^@\s/]{3,200})@")


def _stripe(text: str, m: re.Match[str]) -> tuple[float, int, int] | None:
    """``sk_live_...``: the match starts at "_live_"; the prefix before it says whose key it is."""
    for prefix in ("sk", "rk", "pk", "whsec"):
        start = m.start() - len(prefix)
        if text[max(0, start) : m.start()] == prefix and not (start > 0 and text[start - 1].isalnum()):
            return 0.97, start, m.end()
    return None


# ``key: value`` pairs, matched on the lower-cased text (the offsets are the same).
KEY_VALUE_RE = re.compile(
    r"(?P<auth>bearer|basic|token)[ \t]+(?P<authval>[a-z0-9\-._~+/]{16,}=*)"
    r"|(?P<skey>api[_\-.]?key|apikey|secret|token|passw(?:or)?d|passwd|pwd|passphrase|credential|"
    r"access[_\-]?key|private[_\-]?key|signing[_\-]?key|session[_\-]?id|kennwort|passwort|mot de passe|"
    r"contraseña|senha|wachtwoord)[a-z0-9_.\-]*[\"']?[ \t]*(?P<ssep>is[ \t]+|[:=]|=>|:=)[ \t]*[\"'`]?"
    r"(?P<sval>[^\s\"'`,;]{6,200})"
    r"|(?P<ukey>user(?:[ _\-]?name)?|user[ _\-]?id|login|handle|screen[ _\-]?name|gamertag|nick(?:name)?|"
    r"benutzer(?:name)?|utilisateur|identifiant|pseudo|usuario|nome[ _]utente|gebruikersnaam|gebruiker|"
    r"account[ _\-]?name)(?![a-z])[ \t]*(?P<usep>is[ \t]+|[:=])[ \t]*[\"'`]?(?P<uval>[\w.\-@]{3,40})"
)
KEY_VALUE_RE_I = re.compile(KEY_VALUE_RE.pattern, re.IGNORECASE)
# Where an alternative of KEY_VALUE_RE can start (every key begins with one of them).
_NEEDLES = (
    "bearer",
    "basic",
    "token",
    "api",
    "secret",
    "pass",
    "pwd",
    "credential",
    "access",
    "private",
    "signing",
    "session",
    "kennwort",
    "mot de passe",
    "contraseña",
    "senha",
    "wachtwoord",
    "user",
    "login",
    "handle",
    "screen",
    "gamertag",
    "nick",
    "benutzer",
    "utilisateur",
    "identifiant",
    "pseudo",
    "usuario",
    "nome",
    "gebruiker",
    "account",
)
# Every needle position in one scan (faster than a ``str.find`` loop per needle): the pattern matches the
# first character of a needle only, so overlapping needles are all found.
_NEEDLE_START = re.compile(
    "|".join(
        re.escape(first) + "(?=" + "|".join(re.escape(n[1:]) for n in _NEEDLES if n[0] == first) + ")"
        for first in dict.fromkeys(n[0] for n in _NEEDLES)
    )
)
_PASSWORD_KEYS = ("pass", "pwd", "kennwort", "passwort", "mot", "contraseña", "senha", "wachtwoord")
_PLACEHOLDERS = frozenset(
    {
        "******",
        "********",
        "<redacted>",
        "redacted",
        "changeme",
        "xxxxxx",
        "example",
        "none",
        "null",
        "undefined",
        "required",
        "optional",
    }
)
_NAME_KEYS = frozenset(
    {
        "username",
        "user name",
        "user-name",
        "user_name",
        "login",
        "handle",
        "screen name",
        "screen_name",
        "screenname",
        "gamertag",
        "nickname",
        "nick",
        "benutzername",
        "gebruikersnaam",
        "account name",
        "account_name",
        "pseudo",
    }
)
_USER_STOP = frozenset(
    {
        "none",
        "null",
        "n/a",
        "unknown",
        "admin",
        "root",
        "guest",
        "anonymous",
        "yes",
        "no",
        "online",
        "offline",
        "active",
        "inactive",
        "blocked",
        "required",
        "invalid",
        "missing",
        "not",
        "the",
        "already",
        "logged",
        "locked",
        "disabled",
        "enabled",
        "empty",
    }
)


class KeyValueDetector:
    """Secrets after a key ("api_key=", "password:", "Bearer") and user names after a label."""

    name = "key_value"

    def find(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        for m in self._matches(text):
            start = m.start()
            if start > 0 and text[start - 1].isalpha() and m.group("skey") is None:
                continue  # "superuser:", "retoken": the key must start a word
            if m.group("auth") is not None:
                val = text[m.start("authval") : m.end("authval")]
                if shannon_entropy(val) >= 3.0:
                    found.append(Finding(_SECRET, m.start("authval"), m.end("authval"), 0.88, "auth_header"))
            elif m.group("skey") is not None:
                secret = self._secret(text, m)
                if secret is not None:
                    found.append(secret)
            else:
                user = self._user(text, m)
                if user is not None:
                    found.append(user)
        return found

    @staticmethod
    def _matches(text: str) -> list[re.Match[str]]:
        """Every match of ``KEY_VALUE_RE`` (on the lower-cased text), tried where a key starts (a needle).

        A match holds a separator: ":", "=" or "is" after a key, or a blank after "bearer", "basic",
        "token". Texts without any (most) are done after a few substring tests, and needles are only
        looked for before the last separator.
        """
        low = lowered(text)
        if low is None:
            return list(KEY_VALUE_RE_I.finditer(text))
        if "bearer" in low or "basic" in low or "token" in low:
            end = len(low)
        else:
            # A key comes before its separator: needles after the last one cannot start a match.
            end = max(low.rfind(":"), low.rfind("="), low.rfind("is "), low.rfind("is\t"))
            if end < 0:
                return []
        found: list[re.Match[str]] = []
        floor = 0
        for needle in _NEEDLE_START.finditer(low, 0, end):
            pos = needle.start()
            if pos < floor:
                continue
            m = KEY_VALUE_RE.match(low, pos)
            if m is not None:
                floor = m.end()
                found.append(m)
        return found

    @staticmethod
    def _secret(text: str, m: re.Match[str]) -> Finding | None:
        key = m.group("skey")
        start = m.start("sval")
        val = text[start : m.end("sval")].rstrip(".)")
        if len(val) < 6 or val.lower() in _PLACEHOLDERS or set(val) <= {"*", "x", "X", ".", "<", ">"}:
            return None
        if any(p in key for p in _PASSWORD_KEYS):
            strong = (
                any(c.isdigit() for c in val) or not val.isalpha() or not val[1:].islower() or len(val) >= 10
            )
            if not strong:
                return None
            return Finding(_SECRET, start, start + len(val), 0.85, "assigned_secret")
        if len(val) >= 12 and shannon_entropy(val) >= 3.0 and any(c.isdigit() for c in val):
            return Finding(_SECRET, start, start + len(val), 0.85, "assigned_secret")
        return None

    @staticmethod
    def _user(text: str, m: re.Match[str]) -> Finding | None:
        key = m.group("ukey").lower()
        start = m.start("uval")
        val = text[start : m.end("uval")].rstrip(".-")
        if val.lower() in _USER_STOP:
            return None
        if m.group("usep").startswith("is") and key not in _NAME_KEYS:
            return None  # "the user is ..." says nothing about a user name
        return Finding(EntityType.USERNAME, start, start + len(val), 0.85, "labeled_username")


def secret_detectors() -> list[RegexDetector]:
    return [
        RegexDetector("aws_access_key", _SECRET, AWS_KEY_RE, score=0.97, needles=_AWS_PREFIXES, requires="A"),
        RegexDetector("github_token", _SECRET, GITHUB_RE, score=0.98, needles=_GITHUB_PREFIXES, requires="_"),
        RegexDetector("slack_token", _SECRET, SLACK_RE, score=0.97, needles=("xox", "hooks.slack.com")),
        RegexDetector(
            "stripe_key", _SECRET, STRIPE_RE, validate=_stripe, needles=("_live_", "_test_"), requires="_"
        ),
        RegexDetector("google_api_key", _SECRET, GOOGLE_RE, score=0.95, requires="AIza"),
        RegexDetector("openai_key", _SECRET, OPENAI_RE, score=0.9, requires="sk-"),
        RegexDetector("jwt", _SECRET, JWT_RE, score=0.95, requires="eyJ"),
        RegexDetector("private_key", _SECRET, PRIVATE_KEY_RE, score=0.99, requires="-----BEGIN"),
        RegexDetector("dsn_password", _SECRET, DSN_RE, score=0.9, group="val", needles=("://",), requires="@"),
    ]
