"""Privacy API: the audit log (browse, export) and canary alerts, for internal admins only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workforce.access import AccessDenied, Actor, actor_for
from workforce.apiviews import ActorScopedMixin
from workforce.models import TokenScope

from . import audit
from .middleware import RAW_CONTENT_ATTR
from .models import AuditAction, AuditEntry, CanaryAlert


def raw_content_response(data: Any) -> Response:
    """A response that carries raw content on purpose: never cached, and exempt from the canary
    tripwire (the reveal service checked and audited the reader)."""
    response = Response(data)
    response["Cache-Control"] = "no-store"
    setattr(response, RAW_CONTENT_ATTR, True)
    return response


class AuditEntryOut(serializers.ModelSerializer[AuditEntry]):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "action", "reason", "item_ids", "detail"]


_FILTERS = [
    OpenApiParameter("action", str, enum=list(AuditAction.values)),
    OpenApiParameter("user", int),
    OpenApiParameter("item", int),
    OpenApiParameter("since", str, description="ISO 8601 date-time"),
    OpenApiParameter("until", str, description="ISO 8601 date-time"),
]


class _Filters(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=AuditAction.choices, required=False)
    user = serializers.IntegerField(required=False, min_value=1)
    item = serializers.IntegerField(required=False, min_value=1)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


def _entries(actor: Actor, request: Request) -> QuerySet[AuditEntry]:
    f = _Filters(data=request.query_params)
    f.is_valid(raise_exception=True)
    v = f.validated_data
    return audit.entries_visible(
        actor,
        action=v.get("action"),
        user_id=v.get("user"),
        item_id=v.get("item"),
        since=v.get("since"),
        until=v.get("until"),
    )


class AuditListApi(ActorScopedMixin[AuditEntry], generics.ListAPIView[AuditEntry]):
    """The append-only log of every access to raw content, newest first. Admins only."""

    serializer_class = AuditEntryOut
    model = AuditEntry
    required_scope = TokenScope.ADMIN

    def scoped_queryset(self, actor: Actor) -> QuerySet[AuditEntry]:
        return _entries(actor, self.request)

    @extend_schema(parameters=_FILTERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AuditExportApi(APIView):
    """The same entries as CSV (formula-safe), streamed. The export itself is audited."""

    required_scope = TokenScope.ADMIN

    @extend_schema(parameters=_FILTERS, responses={(200, "text/csv"): str})
    def get(self, request: Request) -> StreamingHttpResponse:
        actor = actor_for(request.user)
        entries = _entries(actor, request)
        audit.record(
            user=actor.user,
            action=AuditAction.AUDIT_EXPORT,
            reason="audit log export",
            detail={k: str(v) for k, v in request.query_params.items()},
        )
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response = StreamingHttpResponse(audit.export_csv(entries), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="quorum-audit-{stamp}.csv"'
        return response


class CanaryAlertOut(serializers.ModelSerializer[CanaryAlert]):
    kind = serializers.CharField(source="canary.kind", read_only=True)
    project_id = serializers.IntegerField(source="canary.project_id", read_only=True)

    class Meta:
        model = CanaryAlert
        fields = ["id", "at", "kind", "project_id", "channel", "where", "user_id"]


class CanaryAlertListApi(ActorScopedMixin[CanaryAlert], generics.ListAPIView[CanaryAlert]):
    """Places a canary value was seen (it must never be). Admins only."""

    serializer_class = CanaryAlertOut
    model = CanaryAlert
    required_scope = TokenScope.ADMIN

    def scoped_queryset(self, actor: Actor) -> QuerySet[CanaryAlert]:
        if not (actor.is_internal and actor.is_admin):
            raise AccessDenied("Only admins may read canary alerts.")
        return CanaryAlert.objects.filter(canary__organization_id=actor.organization_id).select_related("canary")
