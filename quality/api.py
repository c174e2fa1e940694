"""Quality API: dashboard figures, drill-down, agreement, notices, standing, adjudication, billing.

Thin views: parse, call a selector or service with the acting user, serialize. A vendor manager
asking for another vendor's figures or statements gets 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workforce.access import AccessDenied, Actor, actor_for
from workforce.apiviews import error_responses

from . import billing, selectors, services
from .models import Statement


def _actor(request: Request) -> Actor:
    return actor_for(request.user)


class RangeSerializer(serializers.Serializer[Any]):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    vendor = serializers.IntegerField(required=False, min_value=0)
    project = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("end") or timezone.localdate()
        start = attrs.get("start") or end - timedelta(days=29)
        if start > end:
            raise serializers.ValidationError({"start": "must not be after end"})
        if (end - start).days > 366:
            raise serializers.ValidationError({"start": "a range is at most 367 days"})
        attrs["start"], attrs["end"] = start, end
        return attrs


RANGE_PARAMS = [
    OpenApiParameter("start", str, description="First day (YYYY-MM-DD); default 29 days before end"),
    OpenApiParameter("end", str, description="Last day; default today"),
    OpenApiParameter("vendor", int, description="One vendor (0: internal staff)"),
    OpenApiParameter("project", int, description="One project"),
]


def _range(request: Request) -> dict[str, Any]:
    ser = RangeSerializer(data=request.query_params)
    ser.is_valid(raise_exception=True)
    d = ser.validated_data
    return {"start": d["start"], "end": d["end"], "vendor_id": d.get("vendor"), "project_id": d.get("project")}


def _scoped(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Another vendor's data does not exist for a vendor manager: 404, not 403."""
    try:
        return fn(*args, **kwargs)
    except AccessDenied as e:
        if "No such" in str(e):
            raise Http404(str(e)) from e
        raise


class DashboardApi(APIView):
    """Throughput, quality, cost and SLA per day, and vendor scorecards with trends."""

    @extend_schema(parameters=RANGE_PARAMS, responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(_scoped(selectors.dashboard, _actor(request), **_range(request)))


class AnnotatorsApi(APIView):
    """Drill-down: per-annotator figures for the visible vendors."""

    @extend_schema(parameters=RANGE_PARAMS, responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response({"results": _scoped(selectors.annotators, _actor(request), **_range(request))})


class AgreementApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request, project_id: int) -> Response:
        return Response(_scoped(selectors.agreement, _actor(request), project_id=project_id))


class QualitySettingsApi(APIView):
    """A project's quality rules: gold threshold and minimum, qualification test, adjudication,
    adaptive overlap bounds, ordinal labels. Admins change them; vendor managers may read them."""

    class InputSerializer(serializers.Serializer[Any]):
        ordinal = serializers.BooleanField(required=False)
        pause_below = serializers.FloatField(required=False, min_value=0, max_value=1)
        min_gold = serializers.IntegerField(required=False, min_value=0)
        qualification_items = serializers.IntegerField(required=False, min_value=0)
        qualification_pass = serializers.FloatField(required=False, min_value=0, max_value=1)
        adjudicate = serializers.BooleanField(required=False)
        adaptive_overlap = serializers.BooleanField(required=False)
        min_overlap = serializers.IntegerField(required=False, min_value=1, max_value=50)
        max_overlap = serializers.IntegerField(required=False, min_value=1, max_value=50)
        low_agreement = serializers.FloatField(required=False)
        high_agreement = serializers.FloatField(required=False)

    @staticmethod
    def _out(project: Any) -> dict[str, Any]:
        cfg = services.config_for(project.pk)
        return {
            "project": project.pk,
            **{name: getattr(cfg, name) for name in services.CONFIG_FIELDS},
            # Adaptive overlap: annotators an item needs given the agreement on each label so far.
            "overlap_targets": selectors.overlap_targets(project_id=project.pk, base=project.overlap),
        }

    @extend_schema(responses={200: dict})
    def get(self, request: Request, project_id: int) -> Response:
        return Response(self._out(_scoped(selectors.agreement_project, _actor(request), project_id=project_id)))

    @extend_schema(request=InputSerializer, responses={200: dict})
    def patch(self, request: Request, project_id: int) -> Response:
        ser = self.InputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        actor = _actor(request)
        project = _scoped(selectors.agreement_project, actor, project_id=project_id)
        services.quality_config_set(actor=actor, project_id=project_id, **ser.validated_data)
        return Response(self._out(project))


class NoticesApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response({"results": selectors.notices(_actor(request))})


class ResumeApi(APIView):
    """Lift an annotator's automatic pause in a project."""

    @extend_schema(request=None, responses={200: dict})
    def post(self, request: Request, project_id: int, annotator_id: int) -> Response:
        standing = _scoped(
            services.annotator_resume, actor=_actor(request), project_id=project_id, annotator_id=annotator_id
        )
        return Response({"project": project_id, "annotator": annotator_id, "paused": standing.paused})


class RejectApi(APIView):
    @extend_schema(request=None, responses={200: dict})
    def post(self, request: Request, annotation_id: int) -> Response:
        changed = _scoped(services.annotation_reject, actor=_actor(request), annotation_id=annotation_id)
        return Response({"annotation": annotation_id, "rejected": True, "changed": changed})


class AdjudicationListApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        project = request.query_params.get("project")
        rows = selectors.adjudications_open(_actor(request), project_id=int(project) if project else None)
        return Response(
            {"results": [{"id": a.pk, "project": a.project_id, "item": a.item_id, "answers": a.answers} for a in rows]}
        )


class AdjudicationResolveApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        labels = serializers.ListField(child=serializers.CharField(), allow_empty=False)

    @extend_schema(request=InputSerializer, responses={200: dict, **error_responses(409)})
    def post(self, request: Request, adjudication_id: int) -> Response:
        ser = self.InputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            case = _scoped(
                services.adjudication_resolve,
                actor=_actor(request),
                adjudication_id=adjudication_id,
                labels=ser.validated_data["labels"],
            )
        except ValueError as e:
            return Response(
                {"error": {"code": "conflict", "message": str(e), "details": []}}, status=status.HTTP_409_CONFLICT
            )
        return Response({"id": case.pk, "state": case.state, "labels": case.resolved_labels})


def _statement_out(s: Statement) -> dict[str, Any]:
    return {
        "id": s.pk,
        "vendor": s.vendor_id,
        "vendor_name": s.vendor.name,
        "period_start": s.period_start.isoformat(),
        "period_end": s.period_end.isoformat(),
        "basis": s.basis,
        "rate": str(s.rate),
        "currency": s.currency,
        "submitted": s.submitted,
        "rejected": s.rejected,
        "total": str(s.total),
        "status": s.status,
        "approved_at": s.approved_at.isoformat() if s.approved_at else None,
        "lines": [
            {
                "project": line.project_id,
                "project_name": line.project_name,
                "submitted": line.submitted,
                "rejected": line.rejected,
                "quantity": str(line.quantity),
                "amount": str(line.amount),
            }
            for line in s.lines.order_by("project_id")
        ],
    }


def _locked(e: Exception) -> Response:
    return Response(
        {"error": {"code": "statement_locked", "message": str(e), "details": []}}, status=status.HTTP_409_CONFLICT
    )


class StatementListApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        vendor = serializers.IntegerField()
        period_start = serializers.DateField()
        period_end = serializers.DateField()
        basis = serializers.ChoiceField(choices=["task", "hour"], required=False)

    @extend_schema(operation_id="quality_statements_list", responses={200: dict})
    def get(self, request: Request) -> Response:
        qs = billing.statements_visible(_actor(request)).prefetch_related("lines")[:200]
        return Response({"results": [_statement_out(s) for s in qs]})

    @extend_schema(request=InputSerializer, responses={201: dict, **error_responses(404, 409)})
    def post(self, request: Request) -> Response:
        ser = self.InputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        try:
            s = _scoped(
                billing.statement_create,
                actor=_actor(request),
                vendor_id=d["vendor"],
                period_start=d["period_start"],
                period_end=d["period_end"],
                basis=d.get("basis"),
            )
        except billing.StatementLocked as e:
            return _locked(e)
        except ValueError as e:
            raise serializers.ValidationError({"period_end": str(e)}) from e
        return Response(_statement_out(s), status=status.HTTP_201_CREATED)


def _statement(request: Request, statement_id: int) -> Statement:
    s = billing.statements_visible(_actor(request)).filter(pk=statement_id).first()
    if s is None:
        raise Http404("No such statement.")
    return s


class StatementDetailApi(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request, statement_id: int) -> Response:
        return Response(_statement_out(_statement(request, statement_id)))

    @extend_schema(responses={204: None, **error_responses(409)})
    def delete(self, request: Request, statement_id: int) -> Response:
        _statement(request, statement_id)
        try:
            billing.statement_delete(actor=_actor(request), statement_id=statement_id)
        except billing.StatementLocked as e:
            return _locked(e)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StatementApproveApi(APIView):
    @extend_schema(request=None, responses={200: dict, **error_responses(409)})
    def post(self, request: Request, statement_id: int) -> Response:
        _statement(request, statement_id)
        try:
            s = billing.statement_approve(actor=_actor(request), statement_id=statement_id)
        except billing.StatementLocked as e:
            return _locked(e)
        return Response(_statement_out(s))


class StatementExportApi(APIView):
    """The statement as CSV (``.csv``) or PDF (``.pdf``)."""

    @extend_schema(responses={200: bytes})
    def get(self, request: Request, statement_id: int, fmt: str) -> HttpResponse:
        s = _statement(request, statement_id)
        name = f"statement-{s.pk}-{s.vendor_id}-{s.period_start}-{s.period_end}"
        if fmt == "csv":
            response = HttpResponse(billing.statement_csv(s), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(billing.statement_pdf(s), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


def today() -> date:
    return timezone.localdate()
