"""REST endpoints for moderation triage: a project's routing thresholds and their dry run. Thin."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.selectors import project_get
from workforce.access import actor_for

from .models import PrelabelRun, ProjectModel
from .project_models import calibrate_project, check_model_admin, project_model_set
from .triage import DEFAULT_AUTO_CLOSE_QA_RATE, check_triage_config, routing_for, triage_config_set
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
    auto_close = serializers.BooleanField(help_text="Cases below auto_close_below are closed; off: only recorded.")
    auto_close_qa_rate = serializers.FloatField(help_text="Share of auto-closed cases a person re-reviews.")


def _config_out(project_id: int) -> dict[str, Any]:
    routing = routing_for(project_id=project_id)
    return ConfigOut(
        {
            "project": project_id,
            "auto_close_below": routing.auto_close_below,
            "escalate_above": routing.escalate_above,
            "severity_thresholds": {str(k): v for k, v in routing.severity_thresholds.items()},
            "auto_close": routing.auto_close,
            "auto_close_qa_rate": routing.auto_close_qa_rate,
        }
    ).data


class TriageConfigApi(TriageApi):
    """A project's triage routing: read by internal staff who may run the dry run, set by admins."""

    class InputSerializer(serializers.Serializer[Any]):
        auto_close_below = serializers.FloatField(allow_null=True, min_value=0, max_value=1)
        escalate_above = serializers.FloatField(allow_null=True, min_value=0, max_value=1)
        severity_thresholds = serializers.DictField(child=serializers.FloatField(), required=False)
        auto_close = serializers.BooleanField(required=False, default=False)
        auto_close_qa_rate = serializers.FloatField(
            required=False, default=DEFAULT_AUTO_CLOSE_QA_RATE, min_value=0, max_value=1
        )

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
            auto_close=v["auto_close"],
            auto_close_qa_rate=v["auto_close_qa_rate"],
        )
        return Response(_config_out(project_id))


class TriageDryRunApi(TriageApi):
    """What the given thresholds would have done to the project's triaged cases that people decided,
    beside what the current ones did: auto-closed (and how many of those reviewers actioned),
    escalated, left in the queue; and what the model's auto-closes have done so far (QA, appeals)."""

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


# --- a project's model: activation, calibration, pre-label throughput ------------------------------


class ProjectModelApi(APIView):
    """GET: the project's model, calibration and recent pre-label runs (items/s). PUT: activate a
    version and set how its outputs are used (internal ML engineers and admins)."""

    class InputSerializer(serializers.Serializer[Any]):
        model_version = serializers.CharField(max_length=200)
        prelabel = serializers.BooleanField(required=False)
        auto_accept_threshold = serializers.FloatField(required=False, allow_null=True, min_value=0.01, max_value=1)
        uncertainty_order = serializers.BooleanField(required=False)
        max_item_tokens = serializers.IntegerField(required=False, min_value=16, max_value=4096)

    class OutputSerializer(serializers.Serializer[Any]):
        model_version = serializers.CharField()
        prelabel = serializers.BooleanField()
        auto_accept_threshold = serializers.FloatField(allow_null=True)
        uncertainty_order = serializers.BooleanField()
        temperature = serializers.FloatField()
        ece = serializers.FloatField(allow_null=True)
        runs = serializers.ListField(child=serializers.DictField())

    def _out(self, project_id: int) -> dict[str, Any]:
        config = ProjectModel.objects.select_related("model_version").get(project_id=project_id)
        runs = [
            {
                "at": r.created_at.isoformat(),
                "items": r.items,
                "seconds": round(r.seconds, 3),
                "items_per_s": round(r.items / r.seconds, 2) if r.seconds else None,
                "auto_accepted": r.auto_accepted,
            }
            for r in PrelabelRun.objects.filter(project_id=project_id).order_by("-id")[:20]
        ]
        return self.OutputSerializer(
            {
                "model_version": config.model_version.name,
                "prelabel": config.prelabel,
                "auto_accept_threshold": config.auto_accept_threshold,
                "uncertainty_order": config.uncertainty_order,
                "temperature": config.temperature,
                "ece": config.ece,
                "runs": runs,
            }
        ).data

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        actor = actor_for(request.user)
        check_model_admin(actor)
        project_get(actor, project_id)
        if not ProjectModel.objects.filter(project_id=project_id).exists():
            raise exceptions.NotFound("This project has no model.")
        return Response(self._out(project_id))

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        options = dict(data.validated_data)
        try:
            project_model_set(
                actor=actor_for(request.user),
                project_id=project_id,
                model_version=options.pop("model_version"),
                **options,
            )
        except ValueError as e:
            raise exceptions.ValidationError({"model_version": [str(e)]}) from None
        return Response(self._out(project_id))


class ProjectCalibrateApi(APIView):
    """Fit the project's temperature on items with a suggestion and a human answer; returns the ECE
    before and after (internal ML engineers and admins)."""

    class OutputSerializer(serializers.Serializer[Any]):
        items = serializers.IntegerField()
        temperature = serializers.FloatField()
        ece_before = serializers.FloatField()
        ece_after = serializers.FloatField()

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request: Request, project_id: int) -> Response:
        try:
            result = calibrate_project(actor=actor_for(request.user), project_id=project_id)
        except ValueError as e:
            raise exceptions.ValidationError({"project": [str(e)]}) from None
        return Response(self.OutputSerializer(result).data)
