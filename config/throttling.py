"""Request rate limits that cost one cache round trip: a counter per client and fixed window.

DRF's stock throttles keep every request's timestamp of the last window in one cache value, read and
rewritten whole on each request (a list of thousands of floats for a busy annotator). These count
instead: an atomic increment of ``<scope>:<ident>:<window>`` that expires with its window. A
client may get up to twice its rate across a window boundary, never more.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from rest_framework import throttling
from rest_framework.request import Request

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is still loading
    from rest_framework.views import APIView


def window_hit(key: str, window_seconds: int) -> int:
    """Count one request under ``key`` and return the count so far in this window."""
    backend: Any = cache
    if hasattr(backend, "hit"):  # Redis (config.cache): one round trip; an outage counts nothing
        return int(backend.hit(key, window_seconds))
    cache.add(key, 0, timeout=window_seconds + 1)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds + 1)
        return 1


class WindowThrottleMixin:
    """Replaces ``SimpleRateThrottle.allow_request`` with a windowed counter."""

    rate: str | None
    num_requests: int
    duration: int
    wait_seconds: float = 0.0

    if TYPE_CHECKING:  # provided by the DRF throttle it is mixed into

        def get_cache_key(self, request: Request, view: APIView) -> str | None: ...

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        if window_hit(f"{key}:{window}", int(self.duration)) <= self.num_requests:
            return True
        self.wait_seconds = (window + 1) * self.duration - now
        return False

    def wait(self) -> float | None:
        return max(self.wait_seconds, 0.0) or None


class AnonWindowThrottle(WindowThrottleMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address."""


class UserWindowThrottle(WindowThrottleMixin, throttling.UserRateThrottle):
    """Signed-in clients, by user."""
