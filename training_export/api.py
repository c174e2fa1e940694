"""REST endpoints for exports: snapshots (list, create, detail, ranged download), resolved records,
item lineage and erasure. Thin: parse, call a selector or service, serialize. Every endpoint needs
the ``export`` token scope (erasure: ``admin``) and an internal ML engineer or admin."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.models import Item
from workforce.access import actor_for
from workforce.models import TokenScope

from . import selectors, services
from .build import snapshot_path
from .finetune_jobs import finetune_job_cancel, finetune_job_create, finetune_jobs_visible
from .formats import CONTENT_TYPES, EXTENSIONS
from .models import ExportFormat, FineTuneJob, Snapshot, SnapshotStatus, Strategy, TextLevel


class SnapshotOut(serializers.ModelSerializer[Snapshot]):
    format = serializers.CharField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "project",
            "status",
            "format",
            "strategy",
            "level",
            "filters",
            "split",
            "code_version",
            "sha256",
            "size_bytes",
            "row_count",
            "counts",
            "error",
            "erased_items",
            "erased_at",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, snapshot: Snapshot) -> str | None:
        return f"/api/v1/export/snapshots/{snapshot.pk}/download" if snapshot.status == SnapshotStatus.READY else None


class ExportApi(APIView):
    required_scope = TokenScope.EXPORT


class SnapshotListApi(generics.ListCreateAPIView[Snapshot]):
    """Snapshots of the organization, newest first; POST queues a new one (202)."""

    serializer_class = SnapshotOut
    required_scope = TokenScope.EXPORT

    class InputSerializer(serializers.Serializer[Any]):
        project = serializers.IntegerField()
        # A plain string (checked by the service): an enum named "format" would collide with the
        # import API's in the OpenAPI components.
        format = serializers.CharField(default=ExportFormat.JSONL, help_text=", ".join(ExportFormat.values))
        strategy = serializers.ChoiceField(choices=Strategy.choices, default=Strategy.MAJORITY)
        level = serializers.ChoiceField(choices=TextLevel.choices, default=TextLevel.RESTRICTED)
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
        filters = serializers.DictField(required=False, default=dict)
        split = serializers.DictField(child=serializers.FloatField(), required=False)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Snapshot.objects.none()
        return selectors.snapshots_visible(actor_for(self.request.user))

    @extend_schema(request=InputSerializer, responses={202: SnapshotOut})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = actor_for(request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        project = selectors.export_project_get(actor, v["project"])
        snapshot = services.snapshot_create(
            actor=actor,
            project=project,
            fmt=v["format"],
            strategy=v["strategy"],
            level=v["level"],
            reason=v["reason"],
            filters=v["filters"],
            split=v.get("split"),
        )
        return Response(SnapshotOut(snapshot).data, status=status.HTTP_202_ACCEPTED)


def _get_snapshot(request: Request, pk: int) -> Snapshot:
    try:
        return selectors.snapshot_get(actor_for(request.user), pk)
    except Snapshot.DoesNotExist:
        raise Http404 from None


class SnapshotDetailApi(ExportApi):
    @extend_schema(responses=SnapshotOut)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SnapshotOut(_get_snapshot(request, pk)).data)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


def _read_range(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        left = length
        while left > 0:
            data = fh.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data


def ranged_file_response(
    request: Request, path: Path, *, content_type: str, filename: str, etag: str
) -> HttpResponseBase:
    """The file, streamed; a single ``Range: bytes=a-b`` gets 206 with Content-Range, an
    unsatisfiable one 416. Several ranges in one header are answered with the whole file."""
    size = path.stat().st_size
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if_range = request.headers.get("If-Range")
    if match and (if_range is None or if_range == etag):
        first, last = match.groups()
        if first == "" and last == "":
            match = None
        else:
            if first == "":  # the last N bytes
                start, end = max(0, size - int(last)), size - 1
            else:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
            if start >= size or start > end:
                response = HttpResponse(status=416)
                response["Content-Range"] = f"bytes */{size}"
                response["Accept-Ranges"] = "bytes"
                return response
            length = end - start + 1
            streamed = StreamingHttpResponse(_read_range(path, start, length), status=206, content_type=content_type)
            streamed["Content-Range"] = f"bytes {start}-{end}/{size}"
            streamed["Content-Length"] = str(length)
            streamed["Accept-Ranges"] = "bytes"
            streamed["ETag"] = etag
            streamed["Content-Disposition"] = f'attachment; filename="{filename}"'
            return streamed
    full = FileResponse(open(path, "rb"), as_attachment=True, filename=filename, content_type=content_type)  # noqa: SIM115
    full["Accept-Ranges"] = "bytes"
    full["ETag"] = etag
    return full


class SnapshotDownloadApi(ExportApi):
    """The snapshot's file (supports HTTP Range for resumable downloads)."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        snapshot = _get_snapshot(request, pk)
        if snapshot.status != SnapshotStatus.READY:
            raise exceptions.NotFound("This snapshot is not ready.")
        path = snapshot_path(snapshot)
        if not path.is_file():
            raise exceptions.NotFound("The snapshot's file is missing.")
        filename = f"snapshot-{snapshot.pk}-{snapshot.sha256[:12]}.{EXTENSIONS[snapshot.format]}"
        return ranged_file_response(
            request, path, content_type=CONTENT_TYPES[snapshot.format], filename=filename, etag=f'"{snapshot.sha256}"'
        )


def _encode_cursor(item_id: int) -> str:
    return base64.urlsafe_b64encode(f"b{item_id}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise exceptions.ValidationError({"cursor": "invalid cursor"}) from None
    if not raw.startswith("b") or not raw[1:].isdigit():
        raise exceptions.ValidationError({"cursor": "invalid cursor"})
    return int(raw[1:])


class RecordOut(serializers.Serializer[Any]):
    id = serializers.CharField(source="external_id")
    item_id = serializers.IntegerField()
    text = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    spans = serializers.SerializerMethodField()
    agreement = serializers.FloatField()
    confidence = serializers.FloatField()
    annotators = serializers.IntegerField()
    resolution = serializers.CharField()
    split = serializers.CharField()

    def get_spans(self, row: Any) -> list[dict[str, Any]]:
        return [{"start": s, "end": e, "label": lab} for s, e, lab in row.spans]


class RecordListApi(ExportApi):
    """Resolved records of one project (redacted text), newest item first, cursor-paginated.

    Filters: ``project`` (required), ``label``, ``vendor``, ``annotated_after``/``annotated_before``
    (ISO dates of the answers counted), ``min_agreement``, ``strategy`` (majority|weighted)."""

    class QuerySerializer(serializers.Serializer[Any]):
        project = serializers.IntegerField()
        strategy = serializers.ChoiceField(choices=[Strategy.MAJORITY, Strategy.WEIGHTED], default=Strategy.MAJORITY)
        label = serializers.CharField(required=False)  # type: ignore[assignment]
        vendor = serializers.IntegerField(required=False)
        annotated_after = serializers.DateTimeField(required=False)
        annotated_before = serializers.DateTimeField(required=False)
        min_agreement = serializers.FloatField(required=False, min_value=0, max_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)
        cursor = serializers.CharField(required=False)

    @extend_schema(parameters=[QuerySerializer], responses=RecordOut(many=True))
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        q = self.QuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        v = q.validated_data
        project = selectors.export_project_get(actor, v["project"])
        query = selectors.RecordQuery(
            project=project,
            strategy=v["strategy"],
            label=v.get("label"),
            vendor_id=v.get("vendor"),
            annotated_after=v.get("annotated_after"),
            annotated_before=v.get("annotated_before"),
            min_agreement=v.get("min_agreement"),
        )
        before = _decode_cursor(v["cursor"]) if v.get("cursor") else None
        rows, next_id = selectors.records_page(actor, query, before_id=before, page_size=v["page_size"])
        next_url = None
        if next_id is not None:
            params = request.query_params.copy()
            params["cursor"] = _encode_cursor(next_id)
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response({"next": next_url, "previous": None, "results": RecordOut(rows, many=True).data})


class ItemLineageApi(ExportApi):
    """The snapshots that used an item and the model versions trained from them (also once erased)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, item_id: int) -> Response:
        return Response(selectors.item_lineage(actor_for(request.user), item_id=item_id))


class ItemEraseApi(APIView):
    """Erase an item on a data subject's request (admins; token scope ``admin``)."""

    required_scope = TokenScope.ADMIN

    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=500)

    @extend_schema(request=InputSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, item_id: int) -> Response:
        actor = actor_for(request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = (
            Item.objects.select_related("project")
            .filter(pk=item_id, project__organization_id=actor.organization_id)
            .first()
        )
        if item is None:
            raise Http404
        try:
            erasure = services.erase_item(item=item, actor=actor, reason=data.validated_data["reason"])
        except services.ErasureBlocked as e:
            raise exceptions.ValidationError({"item": str(e)}) from e
        return Response({"item": item_id, "affected": erasure.affected}, status=status.HTTP_200_OK)


# --- fine-tuning jobs ---------------------------------------------------------------------------------


class FineTuneJobOut(serializers.ModelSerializer[FineTuneJob]):
    result = serializers.CharField(source="result.name", default=None, read_only=True)
    metrics = serializers.JSONField(source="result.metrics", default=None, read_only=True)

    class Meta:
        model = FineTuneJob
        fields = [
            "id", "name", "snapshot", "parent", "project", "labels", "instruction", "config", "status", "step",
            "total_steps", "loss", "loss_history", "eta_seconds", "heartbeat_at", "cancel_requested", "error",
            "result", "metrics",
            "created_at", "started_at", "finished_at",
        ]


class FineTuneJobListApi(generics.ListAPIView[FineTuneJob]):
    """GET: the organization's fine-tuning jobs, newest first. POST: queue one from a ready JSONL
    snapshot (internal ML engineers and admins); progress streams over ``ws/finetune/<id>/``."""

    serializer_class = FineTuneJobOut
    required_scope = TokenScope.EXPORT

    class InputSerializer(serializers.Serializer[Any]):
        snapshot = serializers.IntegerField(min_value=1)
        name = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
        parent_model = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                             help_text="Model version to fine-tune; default the serving base.")
        instruction = serializers.CharField(required=False, allow_blank=True, max_length=2000)
        config = serializers.DictField(required=False)
        auto_promote_margin = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)

    def get_queryset(self) -> QuerySet[FineTuneJob]:
        if getattr(self, "swagger_fake_view", False):
            return FineTuneJob.objects.none()
        return finetune_jobs_visible(actor_for(self.request.user))

    @extend_schema(request=InputSerializer, responses={202: FineTuneJobOut})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        try:
            job = finetune_job_create(
                actor=actor_for(request.user), snapshot_id=v["snapshot"], name=v["name"],
                parent=v.get("parent_model") or None,
                instruction=v.get("instruction") or None, config=v.get("config"),
                auto_promote_margin=v.get("auto_promote_margin"),
            )
        except Snapshot.DoesNotExist:  # a field of the body names nothing the user may use: 400, not 404
            raise exceptions.ValidationError({"snapshot": ["No such snapshot."]}) from None
        except ValueError as e:
            raise exceptions.ValidationError({"detail": [str(e)]}) from None
        return Response(FineTuneJobOut(job).data, status=status.HTTP_202_ACCEPTED)


class FineTuneJobDetailApi(ExportApi):
    @extend_schema(responses=FineTuneJobOut)
    def get(self, request: Request, pk: int) -> Response:
        job = finetune_jobs_visible(actor_for(request.user)).filter(pk=pk).first()
        if job is None:
            raise exceptions.NotFound()
        return Response(FineTuneJobOut(job).data)


class FineTuneJobCancelApi(ExportApi):
    """Stop a job: a queued one is cancelled at once, a running one before its next step (its
    checkpoint kept)."""

    @extend_schema(request=None, responses=FineTuneJobOut)
    def post(self, request: Request, pk: int) -> Response:
        return Response(FineTuneJobOut(finetune_job_cancel(actor=actor_for(request.user), job_id=pk)).data)
