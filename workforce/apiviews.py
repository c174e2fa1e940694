"""Base pieces for thin API views: querysets always come from a selector given the acting user."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

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


class QuorumAutoSchema(AutoSchema):
    """Nested ``InputSerializer``/``OutputSerializer`` classes are named after their view."""

    def _get_serializer_name(self, serializer: Any, direction: str, bypass_extensions: bool = False) -> str:
        name: str = super()._get_serializer_name(serializer, direction, bypass_extensions)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer = qualname.split(".")[-2].removesuffix("Api")
            name = outer + name
        return name
