"""REST endpoints for projects, items, annotations and imports. Thin: parse, call, serialize."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_filters
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workforce.access import actor_for
from workforce.models import TokenScope

from . import selectors, services
from .importing.parsers import FORMATS
from .models import Annotation, ImportJob, Item, Lease, Project, ProjectKind
from .queueing.selectors import queue_counts
from .queueing.services import QueueError
from .schema import SchemaError


class ProjectOut(serializers.ModelSerializer[Project]):
    vendors = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id", "name", "slug", "kind", "label_schema", "guidelines", "overlap", "priority",
            "gold_rate", "lease_seconds", "paused", "vendors", "created_at",
        ]

    def get_vendors(self, project: Project) -> list[str]:
        return [r.vendor.name for r in project.routes.all() if r.active]


class ProjectFilter(django_filters.FilterSet):
    class Meta:
        model = Project
        fields = ["kind", "paused"]


class ProjectListApi(generics.ListCreateAPIView[Project]):
    serializer_class = ProjectOut
    filterset_class = ProjectFilter

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=80, required=False)
        kind = serializers.ChoiceField(choices=ProjectKind.choices)
        label_schema = serializers.JSONField()
        guidelines = serializers.CharField(required=False, allow_blank=True)
        instruction = serializers.CharField(required=False, allow_blank=True)
        overlap = serializers.IntegerField(min_value=1, max_value=50, required=False)
        priority = serializers.IntegerField(required=False)
        gold_rate = serializers.FloatField(min_value=0, max_value=1, required=False)
        lease_seconds = serializers.IntegerField(min_value=30, max_value=86400, required=False)

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no acting user
            return Project.objects.none()
        return selectors.projects_visible(actor_for(self.request.user)).prefetch_related("routes__vendor")

    @extend_schema(request=InputSerializer, responses={201: ProjectOut})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(actor=actor_for(request.user), **data.validated_data)
        return Response(ProjectOut(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(generics.RetrieveAPIView[Project]):
    serializer_class = ProjectOut

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.projects_visible(actor_for(self.request.user)).prefetch_related("routes__vendor")


class ItemOut(serializers.ModelSerializer[Item]):
    """Item as any user sees it: redacted text only. Raw text has no path through here."""

    text = serializers.CharField(source="text_redacted", read_only=True)

    class Meta:
        model = Item
        fields = [
            "id", "project", "external_id", "text", "media", "metadata", "source_system",
            "jurisdiction", "allowed_purposes", "content_hash", "state", "priority",
            "annotation_count", "created_at", "updated_at",
        ]


class ItemFilter(django_filters.FilterSet):
    class Meta:
        model = Item
        fields = ["project", "state", "external_id", "source_system", "jurisdiction"]


class ItemListApi(generics.ListAPIView[Item]):
    serializer_class = ItemOut
    filterset_class = ItemFilter

    def get_queryset(self) -> QuerySet[Item]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no acting user
            return Item.objects.none()
        return selectors.items_visible(actor_for(self.request.user))


class ItemDetailApi(generics.RetrieveAPIView[Item]):
    serializer_class = ItemOut

    def get_queryset(self) -> QuerySet[Item]:
        return selectors.items_visible(actor_for(self.request.user))


class AnnotationOut(serializers.ModelSerializer[Annotation]):
    class Meta:
        model = Annotation
        fields = [
            "id", "item", "annotator", "vendor", "labels", "spans", "comment", "time_spent_ms",
            "source", "model_version", "confidence", "created_at",
        ]


class AnnotationFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="item__project_id")

    class Meta:
        model = Annotation
        fields = ["item", "annotator", "vendor", "source", "project"]


class AnnotationListApi(generics.ListAPIView[Annotation]):
    serializer_class = AnnotationOut
    filterset_class = AnnotationFilter

    def get_queryset(self) -> QuerySet[Annotation]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no acting user
            return Annotation.objects.none()
        return selectors.annotations_visible(actor_for(self.request.user))


class ImportJobOut(serializers.ModelSerializer[ImportJob]):
    class Meta:
        model = ImportJob
        fields = [
            "id", "project", "status", "stage", "format", "source_name", "rows_seen",
            "created_count", "updated_count", "skipped_count", "error_count", "errors",
            "attempts", "created_at", "started_at", "finished_at",
        ]


class ImportListApi(generics.ListAPIView[ImportJob]):
    serializer_class = ImportJobOut
    filterset_fields = ["project", "status"]

    def get_queryset(self) -> QuerySet[ImportJob]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no acting user
            return ImportJob.objects.none()
        return selectors.imports_visible(actor_for(self.request.user))


class ImportDetailApi(generics.RetrieveAPIView[ImportJob]):
    serializer_class = ImportJobOut

    def get_queryset(self) -> QuerySet[ImportJob]:
        return selectors.imports_visible(actor_for(self.request.user))


class ImportCreateApi(generics.GenericAPIView[ImportJob]):
    """Upload a JSONL, JSON-array or CSV file; the import runs on a worker. Poll the job."""

    parser_classes = [MultiPartParser]
    required_scope = TokenScope.IMPORT
    serializer_class = ImportJobOut

    class InputSerializer(serializers.Serializer[Any]):
        file = serializers.FileField()
        format = serializers.ChoiceField(choices=FORMATS, required=False)

    @extend_schema(request=InputSerializer, responses={202: ImportJobOut})
    def post(self, request: Request, project_id: int) -> Response:
        actor = actor_for(request.user)
        project = selectors.project_get(actor, project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            job = services.import_create(
                actor=actor,
                project=project,
                filename=upload.name or "upload",
                upload=upload,
                fmt=data.validated_data.get("format"),
            )
        except ValueError as e:
            raise serializers.ValidationError({"file": str(e)}) from e
        return Response(ImportJobOut(job).data, status=status.HTTP_202_ACCEPTED)


# --- queues ------------------------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class QueueApi(APIView):
    """Turns the queue's domain errors into the API's: a state conflict is 409 with its code, a
    lease or annotation that is not the caller's is 404, a label that breaks the schema is 400."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, QueueError):
            exc = Conflict(exc.message, code=exc.code)
        elif isinstance(exc, ObjectDoesNotExist):
            exc = exceptions.NotFound()
        elif isinstance(exc, SchemaError):
            exc = exceptions.ValidationError({exc.field: [exc.message]})
        return super().handle_exception(exc)


def _seconds_left(expires_at: datetime) -> int:
    return max(0, int((expires_at - timezone.now()).total_seconds()))


class LeasedItemOut(serializers.Serializer[Item]):
    """The leased item as the annotator sees it: redacted text only."""

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    text = serializers.CharField(source="text_redacted")
    metadata = serializers.JSONField()
    media = serializers.CharField()


class ItemLeaseOut(serializers.Serializer[Lease]):
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    seconds_left = serializers.SerializerMethodField()
    item = LeasedItemOut()
    suggestion = serializers.SerializerMethodField()

    def get_seconds_left(self, lease: Lease) -> int:
        return _seconds_left(lease.expires_at)

    def get_suggestion(self, lease: Lease) -> dict[str, Any] | None:
        return None  # model pre-labels arrive with the inference app


class ItemLeaseEnvelopeOut(serializers.Serializer[Any]):
    lease = ItemLeaseOut()


class ProjectClaimApi(QueueApi):
    """Claim the next item of a project (or the one you already hold there). 204: nothing free."""

    OutputSerializer = ItemLeaseEnvelopeOut

    @extend_schema(request=None, responses={200: ItemLeaseEnvelopeOut, 204: None})
    def post(self, request: Request, project_id: int) -> Response:
        lease = services.lease_claim(actor=actor_for(request.user), project_id=project_id)
        if lease is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(self.OutputSerializer({"lease": lease}).data)


class LeaseHeartbeatApi(QueueApi):
    class OutputSerializer(serializers.Serializer[Lease]):
        expires_at = serializers.DateTimeField()
        seconds_left = serializers.SerializerMethodField()

        def get_seconds_left(self, lease: Lease) -> int:
            return _seconds_left(lease.expires_at)

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request: Request, lease_id: int) -> Response:
        lease = services.lease_heartbeat(actor=actor_for(request.user), lease_id=lease_id)
        return Response(self.OutputSerializer(lease).data)


class LeaseSubmitApi(QueueApi):
    """Submit labels for the leased item. 201 when recorded; 200 with the same body when a retry
    with the same ``client_key`` finds it already recorded."""

    class InputSerializer(serializers.Serializer[Any]):
        labels = serializers.JSONField(required=False)
        spans = serializers.JSONField(required=False)
        comment = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
        time_spent_ms = serializers.IntegerField(required=False, default=0, min_value=0, max_value=86_400_000)
        client_key = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)

    class OutputSerializer(serializers.Serializer[Any]):
        annotation = AnnotationOut()
        undo_until = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, 200: OutputSerializer})
    def post(self, request: Request, lease_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.annotation_submit(
            actor=actor_for(request.user), lease_id=lease_id, **data.validated_data
        )
        body = self.OutputSerializer({"annotation": result.annotation, "undo_until": result.undo_until}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class LeaseSkipApi(QueueApi):
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    class OutputSerializer(serializers.Serializer[Any]):
        item = serializers.IntegerField(source="item_id")
        reason = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, lease_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        skip = services.lease_skip(actor=actor_for(request.user), lease_id=lease_id, **data.validated_data)
        return Response(self.OutputSerializer(skip).data)


class AnnotationUndoApi(QueueApi):
    """Take back your last submission within the undo window; you get the item back under a lease."""

    OutputSerializer = ItemLeaseEnvelopeOut

    @extend_schema(request=None, responses={200: ItemLeaseEnvelopeOut})
    def post(self, request: Request, annotation_id: int) -> Response:
        lease = services.annotation_undo(actor=actor_for(request.user), annotation_id=annotation_id)
        return Response(self.OutputSerializer({"lease": lease}).data)


class ProjectQueueApi(QueueApi):
    class OutputSerializer(serializers.Serializer[Any]):
        available = serializers.IntegerField()
        leased = serializers.IntegerField()
        done = serializers.IntegerField()
        total = serializers.IntegerField()
        mine_today = serializers.IntegerField()

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, project_id: int) -> Response:
        actor = actor_for(request.user)
        project = selectors.project_get(actor, project_id)
        return Response(self.OutputSerializer(queue_counts(actor=actor, project=project)).data)


class ProjectPauseApi(QueueApi):
    """Pause (or, as ``project-resume``, resume) handing out a project's items. Admins only."""

    paused = True

    class OutputSerializer(serializers.Serializer[Project]):
        id = serializers.IntegerField()
        paused = serializers.BooleanField()

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        actor = actor_for(request.user)
        project = selectors.project_get(actor, project_id)
        project = services.project_pause(actor=actor, project=project, paused=self.paused)
        return Response(self.OutputSerializer(project).data)


class ProjectResumeApi(ProjectPauseApi):
    paused = False
