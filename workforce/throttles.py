"""Rate limits on credentials: sign-in attempts (per client address and per username) and API token
creation. Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``login``, ``token``)."""

from __future__ import annotations

import hashlib
import math
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class _LiveRate:
    """DRF binds ``THROTTLE_RATES`` when its module loads; read the rate when a throttle is made, so a
    changed setting (a test's override, a reload) applies."""

    scope: str

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)


class LoginAddressThrottle(_LiveRate, SimpleRateThrottle):
    scope = "login"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(_LiveRate, SimpleRateThrottle):
    """Per account, so many addresses cannot share out one password guesser's attempts."""

    scope = "login"
    cache_format = "throttle_%(scope)s_user_%(ident)s"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        username = str(request.POST.get("username", "")).strip().lower()
        if not username:
            return None
        return self.cache_format % {"scope": self.scope, "ident": hashlib.sha256(username.encode()).hexdigest()[:32]}


def login_throttle_wait(request: HttpRequest) -> float | None:
    """Count one sign-in attempt; the seconds to wait when over the rate, else None."""
    waits: list[float] = []
    throttles: list[SimpleRateThrottle] = [LoginAddressThrottle(), LoginUsernameThrottle()]
    for throttle in throttles:
        if not throttle.allow_request(cast(Any, request), cast(Any, None)):  # plain Django requests work too
            waits.append(throttle.wait() or float(getattr(throttle, "duration", 60)))
    return max(waits) if waits else None


def too_many_requests(wait: float) -> HttpResponse:
    response = HttpResponse("Too many sign-in attempts; try again later.\n", status=429,
                            content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


class TokenCreateThrottle(_LiveRate, UserRateThrottle):
    """Creating API tokens (POST); listing them is not counted."""

    scope = "token"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method != "POST":
            return True
        return bool(super().allow_request(request, view))
