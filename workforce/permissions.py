"""DRF permission classes: token scopes and roles, both checked against the access layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import permissions
from rest_framework.request import Request

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is still loading
    from rest_framework.views import APIView

from .models import ApiToken, TokenScope

SAFE = ("GET", "HEAD", "OPTIONS")


def token_allows(request: Request, scope: str) -> bool:
    """Session users hold every scope their role allows; a token holds only those it lists."""
    token = request.auth
    if not isinstance(token, ApiToken):
        return True
    return scope in token.scopes or TokenScope.ADMIN in token.scopes


class ScopedPermission(permissions.IsAuthenticated):
    """read for safe methods, write otherwise; a view may name a stricter ``required_scope``."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        scope: Any = getattr(view, "required_scope", None)
        if scope is None:
            scope = TokenScope.READ if request.method in SAFE else TokenScope.WRITE
        return token_allows(request, str(scope))
