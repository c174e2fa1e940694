"""DRF authentication by API token (``Authorization: Bearer qrm_…``) with expiry and revocation.

A token row (with its user and vendor) is kept in this process for ``TOKEN_CACHE_SECONDS`` after it
is read: the queue's claim and submit requests come several times a second per annotator, and the
lookup was a fifth of a web worker's time in ``python -m bench queue``. The secret is still checked
on every request. Saving or deleting any token, user or vendor (workforce.apps connects it) empties
this process's cache at once and bumps a shared counter, the auth epoch, in the cache; every
process reads the epoch at most once a second (``EPOCH_CHECK_SECONDS``) and empties its own cache
when it moved. So a revocation or deactivation applies everywhere within about a second, and
within ``TOKEN_CACHE_SECONDS`` at worst (Redis unreachable).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiToken
from .tokens import secret_matches, split_token

log = logging.getLogger(__name__)

# last_used_at is written at most once a minute per token, not on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


EPOCH_KEY = "workforce:auth-epoch"
EPOCH_CHECK_SECONDS = 1.0


class TokenCache:
    """Token rows by prefix, each for a while; thread-safe."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[float, ApiToken]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._epoch: Any = None
        self._epoch_read_at = -1e9

    def _follow_epoch(self) -> None:
        """Empty the cache if another process changed who may authenticate (at most one cache read a
        second)."""
        now = time.monotonic()
        if now - self._epoch_read_at < EPOCH_CHECK_SECONDS:
            return
        self._epoch_read_at = now
        epoch = cache.get(EPOCH_KEY)
        if epoch != self._epoch:
            with self._lock:
                self._epoch = epoch
                self._generation += 1
                self._rows.clear()

    def get(self, prefix: str) -> ApiToken | None:
        ttl = float(settings.QUORUM["TOKEN_CACHE_SECONDS"])
        self._follow_epoch()
        entry = self._rows.get(prefix)
        if entry is not None and 0 <= time.monotonic() - entry[0] < ttl:
            return entry[1]
        with self._lock:
            generation = self._generation
        token = ApiToken.objects.select_related("user", "user__vendor").filter(prefix=prefix).first()
        if token is not None and ttl > 0:
            with self._lock:
                if generation == self._generation:  # nothing was invalidated while we read
                    if len(self._rows) > 10_000:
                        self._rows.clear()
                    self._rows[prefix] = (time.monotonic(), token)
        return token

    def clear(self, **_: Any) -> None:
        """Forget every row here, and tell the other processes (the auth epoch)."""
        with self._lock:
            self._generation += 1
            self._rows.clear()
        try:
            cache.add(EPOCH_KEY, 0, timeout=None)
            cache.incr(EPOCH_KEY)
        except Exception:  # the cache is down or the key vanished: the others fall back on their TTL
            log.warning("could not bump the auth epoch; other processes forget within the token cache time")


token_cache = TokenCache()


def _copy_row(obj: Any) -> Any:
    """A shallow copy of a model instance, as ``copy.copy`` makes it (its own attributes and state,
    related rows shared) without the pickling protocol's detour: a third of the time of this class."""
    clone = obj.__class__.__new__(obj.__class__)
    clone.__dict__.update(obj.__dict__)
    clone._state = copy.copy(obj._state)
    clone._state.fields_cache = dict(obj._state.fields_cache)
    return clone


class TokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        parts = split_token(header[1])
        if parts is None:
            raise exceptions.AuthenticationFailed("Malformed API token.")
        prefix, secret = parts
        token = token_cache.get(prefix)
        if token is None or not secret_matches(secret, token.key_hash):
            raise exceptions.AuthenticationFailed("Invalid API token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("API token revoked.")
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("API token expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            token.last_used_at = now
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # Each request gets its own copies: views may set attributes on request.user.
        return _copy_row(token.user), _copy_row(token)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
