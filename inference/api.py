"""REST endpoints for moderation triage: a project's routing thresholds and their dry run. Thin."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workforce.access import actor_for

from .triage import check_triage_config, routing_for, triage_config_set
from .triage_report import check_dry_run, triage_dry_run
from .triage_rules import InvalidThresholds


class TriageApi(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, InvalidThresholds):
            exc = exceptions.ValidationError({exc.field: [exc.message]})
        return super().handle_exception(exc)


class ConfigOut(serializers.Serializer[Any]):
    project = serializers.IntegerField()
    auto_close_below = serializers.FloatField(allow_null=True)
    escalate_above = serializers.FloatField(allow_null=True)
    severity_thresholds = serializers.DictField(child=serializers.FloatField())


def _config_out(project_id: int) -> dict[str, Any]:
    routing = routing_for(project_id=project_id)
    return ConfigOut(
        {
            "project": project_id,
            "auto_close_below": routing.auto_close_below,
            "escalate_above": routing.escalate_above,
            "severity_thresholds": {str(k): v for k, v in routing.severity_thresholds.items()},
        }
    ).data


class TriageConfigApi(TriageApi):
    """A project's triage routing: read by internal staff who may run the dry run, set by admins."""

    class InputSerializer(serializers.Serializer[Any]):
        auto_close_below = serializers.FloatField(allow_null=True, min_value=0, max_value=1)
        escalate_above = serializers.FloatField(allow_null=True, min_value=0, max_value=1)
        severity_thresholds = serializers.DictField(child=serializers.FloatField(), required=False)

    @extend_schema(responses=ConfigOut)
    def get(self, request: Request, project_id: int) -> Response:
        check_dry_run(actor=actor_for(request.user), project_id=project_id)
        return Response(_config_out(project_id))

    @extend_schema(request=InputSerializer, responses=ConfigOut)
    def put(self, request: Request, project_id: int) -> Response:
        actor = actor_for(request.user)
        check_triage_config(actor=actor, project_id=project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        triage_config_set(
            actor=actor,
            project_id=project_id,
            auto_close_below=v["auto_close_below"],
            escalate_above=v["escalate_above"],
            severity_thresholds_raw=v.get("severity_thresholds"),
        )
        return Response(_config_out(project_id))


class TriageDryRunApi(TriageApi):
    """What the given thresholds would have done to the project's decided, triaged cases, beside
    what the current ones did: auto-closed (and how many of those reviewers actioned), escalated,
    left in the queue."""

    class QuerySerializer(serializers.Serializer[Any]):
        auto_close_below = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
        escalate_above = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)

    @extend_schema(parameters=[QuerySerializer], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, project_id: int) -> Response:
        actor = actor_for(request.user)
        check_dry_run(actor=actor, project_id=project_id)
        q = self.QuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        v = q.validated_data
        return Response(
            triage_dry_run(
                actor=actor,
                project_id=project_id,
                auto_close_below=v.get("auto_close_below"),
                escalate_above=v.get("escalate_above"),
            )
        )
