"""Transport hygiene in one place: security headers on every response, the operators-only Django admin
(with a throttled login) and a log filter that keeps credentials out of log records."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse

# The API's browsable docs (Swagger UI, Redoc) are third-party pages served from our own static files
# (drf-spectacular-sidecar): scripts only from us, like every page; their widgets inject style
# elements, so styles may be inline here. They show the schema only, never user content.
DOCS_PATHS = ("/api/v1/docs", "/api/v1/redoc")
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def content_security_policy(request: HttpRequest) -> str:
    """Scripts and styles only from our static files (no inline code), images from us or data: URLs,
    fetches and websockets to this host only, never framed."""
    if request.path.startswith(DOCS_PATHS):
        return DOCS_CSP
    csp: dict[str, str] = settings.QUORUM_CSP
    return "; ".join(f"{name} {value}".strip() for name, value in csp.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy, Permissions-Policy and the classic headers on every response (pages, API,
    static files, errors). Headers a view set itself are kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        headers = {
            "Content-Security-Policy": content_security_policy(request),
            "Permissions-Policy": settings.QUORUM_PERMISSIONS_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": settings.SECURE_REFERRER_POLICY or "same-origin",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY or "same-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
        }
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response


# --- the Django admin: platform operators only ----------------------------------------------------

class OperatorAdminSite(admin.AdminSite):
    """The Django admin edits every organization's rows (users, tokens, items), so it belongs to the
    platform's operators (``createsuperuser``: staff with no organization), not to an organization's
    admins, who work through the API and pages scoped to their own organization."""

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "organization_id", None) is None)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "POST":
            from workforce.throttles import login_throttle_wait, too_many_requests

            wait = login_throttle_wait(request)
            if wait is not None:
                return too_many_requests(wait)
        return super().login(request, extra_context)


class QuorumAdminConfig(AdminConfig):
    default_site = "config.security.OperatorAdminSite"


# --- logging -------------------------------------------------------------------------------

_SECRETS = [
    # Authorization headers, API tokens (qrm_<prefix>_<secret>), session and CSRF cookies.
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer|token|basic)?\s*[^\s'\",;}]+"), r"\1\2 [redacted]"),
    (re.compile(r"qrm_[A-Za-z0-9]+_[A-Za-z0-9_\-]+"), "qrm_[redacted]"),
    (re.compile(r"(?i)((?:sessionid|csrftoken|csrfmiddlewaretoken|password|secret|token)['\"]?\s*[:=]\s*['\"]?)"
                r"[^\s'\",;&}]+"), r"\1[redacted]"),
]


_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")


def redact_secrets(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class SecretRedactingFilter(logging.Filter):
    """Rewrites a record's message with credentials blanked out (formatted once, here, so arguments
    such as a request's headers are covered too). Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact_secrets(message)
        if record.name.startswith("django.db.backends") and "django_session" in cleaned:
            # SQL on the session table carries session keys and data as literals and parameters.
            cleaned = _SQL_LITERAL.sub("'[redacted]'", cleaned)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
