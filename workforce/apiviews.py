"""Base pieces for thin API views: querysets always come from a selector given the acting user."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from .access import Actor, actor_for

M = TypeVar("M", bound=models.Model)


class ActorScopedMixin(Generic[M]):
    """``get_queryset`` is ``scoped_queryset(actor)``; schema generation (no user) gets ``none()``."""

    model: type[M]
    request: Any

    def scoped_queryset(self, actor: Actor) -> QuerySet[M]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[M]:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.scoped_queryset(actor_for(self.request.user))


class TokenAuthScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "workforce.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "qrm_<prefix>_<secret>"}


class ErrorDetailOut(serializers.Serializer[Any]):
    field = serializers.CharField(required=False, help_text="Where: a field name or path, e.g. labels[0].")
    message = serializers.CharField()


class ErrorBodyOut(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    details = ErrorDetailOut(many=True)


class ErrorOut(serializers.Serializer[Any]):
    """Every error response (``config.api.exception_handler``)."""

    error = ErrorBodyOut()


ERROR_DESCRIPTIONS = {
    400: "Invalid input: ``details`` name each field and what is wrong with it.",
    401: "Not authenticated, or the API token is malformed, unknown, expired or revoked.",
    403: "Authenticated, but this role, vendor or token scope may not do this.",
    404: "Not there, or not visible to the acting user (also an invalid page cursor).",
    409: "Refused in the current state of the object (``code`` says which conflict).",
    429: "Too many requests: retry after the ``Retry-After`` header's seconds.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """``@extend_schema(responses={200: Out, **error_responses(409)})``: statuses beyond the ones every
    operation documents (see ``QuorumAutoSchema``), for one method of a view."""
    return {code: OpenApiResponse(ErrorOut, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class QuorumAutoSchema(AutoSchema):
    """Nested ``InputSerializer``/``OutputSerializer`` classes are named after their view; every
    operation documents the errors it can answer with, in the one error format. A view whose
    domain errors map to more statuses (e.g. 409) lists them in ``error_statuses``."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_statuses():
            if str(code) not in responses:
                response = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ErrorOut, str(code), ("application/json",), direction
                )
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[str(code)] = response
        return responses

    def _error_statuses(self) -> list[int]:
        parameters = self._get_parameters()
        has_path = any(p.get("in") == "path" for p in parameters)
        codes = {401, 403, 429, *getattr(self.view, "error_statuses", ())}
        if self.method != "GET" or parameters:
            codes.add(400)
        if has_path or any(p.get("name") == "cursor" for p in parameters):
            codes.add(404)
        return sorted(codes)

    def _get_serializer_name(self, serializer: Any, direction: str, bypass_extensions: bool = False) -> str:
        name: str = super()._get_serializer_name(serializer, direction, bypass_extensions)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer = qualname.split(".")[-2].removesuffix("Api")
            name = outer + name
        return name
