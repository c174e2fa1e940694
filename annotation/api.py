"""REST endpoints for projects, items, annotations and imports. Thin: parse, call, serialize."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from workforce.access import actor_for
from workforce.models import TokenScope

from . import selectors, services
from .importing.parsers import FORMATS
from .models import Annotation, ImportJob, Item, Project, ProjectKind


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
