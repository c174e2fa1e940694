"""The HTTP side of the canary tripwire: a response that carries a canary value is withheld."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from .canaries import tripwire

_SCANNED_TYPES = ("application/json", "text/", "application/javascript", "application/problem+json")

# Set on a response that intentionally carries raw content (a reveal to a cleared internal user).
RAW_CONTENT_ATTR = "quorum_raw_content"


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


class CanaryTripwireMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "streaming", False) or getattr(response, RAW_CONTENT_ATTR, False):
            return response
        ctype = response.get("Content-Type", "")
        if not ctype.startswith(_SCANNED_TYPES):
            return response
        body = response.content.decode(response.charset or "utf-8", errors="replace")
        if tripwire.check(body, channel="http", where=request.path, user_id=_user_id(request)):
            withheld = JsonResponse(
                {
                    "error": {
                        "code": "withheld",
                        "message": "This response was withheld by the privacy tripwire; the incident was recorded.",
                        "details": [],
                    }
                },
                status=500,
            )
            return withheld
        return response
