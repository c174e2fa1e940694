"""Canaries: synthetic PII planted in real projects, and the tripwire that watches for them.

A canary value is built to be detected and redacted like real PII. If one ever shows up in a
vendor-facing HTTP response, websocket message, export or log line, redaction failed somewhere: the
tripwire records a ``CanaryAlert``, logs an error naming the canary (never its value) and the caller
withholds the output. Tests plant canaries and assert the tripwire stays silent.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass

from .engine.checksums import luhn_valid

log = logging.getLogger("quorum.privacy.canary")

KINDS = ("EMAIL", "PHONE", "CARD", "IBAN")
_REFRESH_SECONDS = 5.0
_LOCAL_RELOAD_SECONDS = 300.0  # a per-process cache cannot hear other processes' bumps
_VERSION_KEY = "quorum:privacy:canary-version"


def _current_version() -> int:
    from django.core.cache import cache

    return int(cache.get(_VERSION_KEY, 0))


def _per_process_cache() -> bool:
    from django.conf import settings

    return "locmem" in settings.CACHES["default"]["BACKEND"].lower()


def bump_version() -> None:
    """Canaries changed: every process reloads its pattern within a few seconds."""
    from django.core.cache import cache

    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, timeout=None)
    tripwire.reset()


def _iban_de(account: str) -> str:
    bban = "37040044" + account  # a bank code with a valid format; the account part is random
    digits = "".join(str(int(c, 36)) for c in bban + "DE00")
    check = 98 - int(digits) % 97
    return f"DE{check:02d}{bban}"


def _card() -> str:
    body = "4" + "".join(secrets.choice("0123456789") for _ in range(14))
    for last in "0123456789":
        if luhn_valid(body + last):
            return body + last
    raise AssertionError("unreachable: one check digit always satisfies Luhn")


def new_value(kind: str) -> str:
    """A fresh synthetic value of ``kind`` that the detectors recognize and nobody owns."""
    token = secrets.token_hex(4)
    if kind == "EMAIL":
        return f"ada.canary.{token}@example.org"
    if kind == "PHONE":
        return "+44 7700 9" + "".join(secrets.choice("0123456789") for _ in range(5))  # Ofcom drama range
    if kind == "CARD":
        return _card()
    if kind == "IBAN":
        return _iban_de("".join(secrets.choice("0123456789") for _ in range(10)))
    raise ValueError(f"unknown canary kind {kind!r}; expected one of {', '.join(KINDS)}")


def canary_text(values: dict[str, str]) -> str:
    """An item text carrying the values, shaped like an ordinary support message."""
    parts = ["Hello, I need help with my account."]
    if "EMAIL" in values:
        parts.append(f"Please write to me at {values['EMAIL']}.")
    if "PHONE" in values:
        parts.append(f"You can also call {values['PHONE']} in the evening.")
    if "CARD" in values:
        parts.append(f"The charge was on card {values['CARD']}.")
    if "IBAN" in values:
        parts.append(f"Refund it to {values['IBAN']} please.")
    return " ".join(parts)


@dataclass(frozen=True)
class Hit:
    canary_id: int
    kind: str


class Tripwire:
    """Active canary values compiled into one pattern.

    The pattern is reloaded from the database only when the canary set's version (a cache key that
    ``bump_version`` increments when canaries change) moves, checked at most every few seconds, or,
    with a per-process cache, every few minutes. So a request almost never pays a query for it, and
    never an unpredictable one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked_at = -1e9
        self._loaded_at = -1e9
        self._version: int | None = None
        self._pattern: re.Pattern[str] | None = None
        self._ids: dict[str, tuple[int, str]] = {}

    def reset(self) -> None:
        """Reload at the next scan (the process that planted a canary)."""
        self._checked_at = -1e9
        self._version = None

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < _REFRESH_SECONDS:
            return
        with self._lock:
            if now - self._checked_at < _REFRESH_SECONDS:
                return
            self._checked_at = now
            version = _current_version()
            stale = self._version is None or version != self._version
            if not stale and not (_per_process_cache() and now - self._loaded_at > _LOCAL_RELOAD_SECONDS):
                return
            from .models import Canary

            rows = list(Canary.objects.filter(active=True).values_list("pk", "kind", "value"))
            self._ids = {value: (pk, kind) for pk, kind, value in rows}
            # Longest first, so one value that contains another is reported as itself.
            alts = sorted(self._ids, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alts)) if alts else None
            self._version, self._loaded_at = version, now

    def scan(self, text: str, *, load: bool = True) -> list[Hit]:
        """Canaries in ``text``. ``load=False`` never touches the database (the log filter: a log line
        can come before the database is configured, and must not open a connection)."""
        if not text:
            return []
        if load:
            try:
                self._refresh()
            except Exception:  # no table yet (migrations) or no database: nothing to watch
                return []
        pattern = self._pattern
        if pattern is None:
            return []
        found = {m.group(0) for m in pattern.finditer(text)}
        return [Hit(*self._ids[v]) for v in found if v in self._ids]

    def check(self, text: str, *, channel: str, where: str, user_id: int | None) -> list[Hit]:
        """Scan and, on a hit, record an alert per canary. Returns the hits."""
        hits = self.scan(text)
        for hit in hits:
            alert(hit, channel=channel, where=where, user_id=user_id)
        return hits


_guard = threading.local()


def alert(hit: Hit, *, channel: str, where: str, user_id: int | None) -> None:
    if getattr(_guard, "active", False):
        return
    _guard.active = True
    try:
        from .models import CanaryAlert

        CanaryAlert.objects.create(canary_id=hit.canary_id, channel=channel, where=where[:500], user_id=user_id)
        log.error("canary %s (%s) seen in %s output at %s (user %s)", hit.canary_id, hit.kind, channel, where, user_id)
    except Exception:
        log.exception("could not record a canary alert for canary %s", hit.canary_id)
    finally:
        _guard.active = False


tripwire = Tripwire()


class CanaryLogFilter(logging.Filter):
    """Drops a canary value from a log record before any handler writes it, and alerts."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_guard, "active", False) or record.name == log.name:
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        hits = tripwire.scan(message, load=False)
        if hits:
            for hit in hits:
                alert(hit, channel="log", where=record.name, user_id=None)
            record.msg = "[log line withheld: it held a privacy canary value]"
            record.args = None
        return True
