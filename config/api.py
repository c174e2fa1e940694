"""API-wide plumbing: one error format (inside DRF and out), bounded JSON parsing, cursor pagination."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, negotiation, pagination, parsers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workforce.access import AccessDenied


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (which Django applies
    to forms, not to the stream DRF reads) is refused before it is read whole, and a document
    nested too deeply for the decoder is a 400, not a ``RecursionError``."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(-1 if limit is None else limit + 1) if stream is not None else b""
        if limit is not None and len(body) > limit:
            raise exceptions.ParseError(f"The JSON body is larger than {limit:,} bytes.", code="too_large")
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's negotiation, answered at once for the common request: no format override and an Accept
    header that is absent, ``*/*`` or the first renderer's own type, which DRF would answer with
    that renderer too. The general path parses the query string and every media type in Accept on
    each request: 3% of a web worker in the queue bench."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: str | None = None) -> Any:
        meta = request.META
        if renderers and not format_suffix and "format=" not in meta.get("QUERY_STRING", ""):
            first = renderers[0]  # DRF passes the view's renderer instances as a list
            if meta.get("HTTP_ACCEPT", "*/*") in ("", "*/*", first.media_type):
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)


class CursorPagination(pagination.CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            if isinstance(key, int) or str(key).isdigit():
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_flatten(value, "" if key == "non_field_errors" else name))
        return out
    if isinstance(detail, list):
        out = []
        for i, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                out.extend(_flatten(value, f"{prefix}[{i}]" if prefix else str(i)))
            else:
                out.extend(_flatten(value, prefix))
        return out
    return [{"field": prefix, "message": str(detail)} if prefix else {"message": str(detail)}]


class DatabaseUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "The database is unavailable (restarting?); nothing was saved. Retry shortly."
    default_code = "database_unavailable"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is ``{"error": {"code", "message", "details": [{"field", "message"}]}}``."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        # A lost connection (PostgreSQL restarting): the transaction was rolled back. Retrying is
        # safe (submissions carry client keys), so say so instead of a 500 page.
        response = exception_handler(DatabaseUnavailable(), context)
        if response is not None:
            response["Retry-After"] = "2"
        return response
    if isinstance(exc, AccessDenied):
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else "invalid"
    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail)
        message = "Invalid input."
    else:
        details = []
        message = str(exc.detail)
    response.data = {"error": {"code": code, "message": message, "details": details}}
    return response


# Errors raised outside DRF (no URL matched, Django's own 400/403, a crash) keep the API's error
# format under /api/; pages keep Django's HTML ones. Registered as handler400/403/404/500 in urls.
_OUTSIDE_DRF = {
    400: ("bad_request", "Bad request.", defaults.bad_request),
    403: ("permission_denied", "You do not have permission to perform this action.", defaults.permission_denied),
    404: ("not_found", "Not found.", defaults.page_not_found),
}


def _api_error(request: HttpRequest, status: int, exception: Exception) -> HttpResponse:
    code, message, page = _OUTSIDE_DRF[status]
    if not request.path.startswith("/api/"):
        return page(request, exception)
    return JsonResponse({"error": {"code": code, "message": message, "details": []}}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(request, 400, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(request, 403, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(request, 404, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if not request.path.startswith("/api/"):
        return defaults.server_error(request)
    body = {"error": {"code": "server_error", "message": "Internal server error.", "details": []}}
    return JsonResponse(body, status=500)
