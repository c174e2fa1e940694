"""REST endpoints for projects, items, annotations and imports. Thin: parse, call, serialize."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_filters
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from privacy import canaries
from privacy.api import raw_content_response
from privacy.reveal import read_revealed, reveal_item
from workforce.access import AccessDenied, Actor, actor_for
from workforce.models import TokenScope

from . import items, media, selectors, services
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


def _media(context: dict[str, Any], item: Item) -> str:
    """The processed image's URL; an external URL for internal staff only (see annotation.media)."""
    request = context.get("request")
    user = getattr(request, "user", None) if request is not None else context.get("user")
    internal = getattr(user, "vendor_id", 1) is None
    return media.media_for(item_id=item.pk, value=item.media, internal=internal)


class ItemOut(serializers.ModelSerializer[Item]):
    """Item as the acting user sees it: the stored view of their clearance (``view_text``, annotated by
    ``selectors.items_visible``). The sealed raw text has no path through here."""

    text = serializers.CharField(source="view_text", read_only=True)
    media = serializers.SerializerMethodField()

    def get_media(self, item: Item) -> str:
        return _media(self.context, item)

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


_DATETIME = serializers.DateTimeField()  # the API's datetime format, for the hand-built payloads below


def annotation_payload(annotation: Annotation) -> dict[str, Any]:
    """``AnnotationOut`` of one annotation, built directly: the queue's submit path answers hundreds
    of times a second and a ModelSerializer rebuilds its fields from the model on every use.
    ``tests/annotation/test_payloads.py`` holds the two equal."""
    a = annotation
    return {
        "id": a.pk, "item": a.item_id, "annotator": a.annotator_id, "vendor": a.vendor_id, "labels": a.labels,
        "spans": a.spans, "comment": a.comment, "time_spent_ms": a.time_spent_ms, "source": a.source,
        "model_version": a.model_version, "confidence": a.confidence,
        "created_at": _DATETIME.to_representation(a.created_at),
    }


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

    error_statuses = (409,)  # documented in the schema (workforce.apiviews.QuorumAutoSchema)

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
    """The leased item as the annotator sees it: the view of their clearance, never the raw text."""

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    text = serializers.CharField(source="view_text")
    metadata = serializers.JSONField()
    media = serializers.SerializerMethodField()

    def get_media(self, item: Item) -> str:
        return _media(self.context, item)


class ItemLeaseOut(serializers.Serializer[Lease]):
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    seconds_left = serializers.SerializerMethodField()
    item = LeasedItemOut()
    suggestion = serializers.SerializerMethodField()

    def get_seconds_left(self, lease: Lease) -> int:
        return _seconds_left(lease.expires_at)

    def get_suggestion(self, lease: Lease) -> dict[str, Any] | None:
        """The model's pre-label (labels, confidence, model_version), shown pre-selected."""
        suggestion = lease.item.suggestion
        if not suggestion:
            return None
        return {k: suggestion[k] for k in ("labels", "confidence", "model_version") if k in suggestion}


class ItemLeaseEnvelopeOut(serializers.Serializer[Any]):
    lease = ItemLeaseOut()


def lease_payload(lease: Lease, user: Any) -> dict[str, Any]:
    """``ItemLeaseEnvelopeOut`` of a served lease, built directly (the claim path; see
    ``annotation_payload``)."""
    item = lease.item
    suggestion = item.suggestion
    return {
        "lease": {
            "id": lease.pk,
            "expires_at": _DATETIME.to_representation(lease.expires_at),
            "seconds_left": _seconds_left(lease.expires_at),
            "item": {
                "id": item.pk, "external_id": item.external_id, "text": item.view_text, "metadata": item.metadata,
                "media": _media({"user": user}, item),
            },
            "suggestion": (
                {k: suggestion[k] for k in ("labels", "confidence", "model_version") if k in suggestion}
                if suggestion else None
            ),
        }
    }


class ProjectClaimApi(QueueApi):
    """Claim the next item of a project (or the one you already hold there). 204: nothing free."""

    OutputSerializer = ItemLeaseEnvelopeOut

    @extend_schema(request=None, responses={200: ItemLeaseEnvelopeOut, 204: None})
    def post(self, request: Request, project_id: int) -> Response:
        lease = services.lease_claim(actor=actor_for(request.user), project_id=project_id)
        if lease is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(lease_payload(lease, request.user))


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


_MAX_TIME_SPENT_MS = 86_400_000


def plain_submit_fields(data: Any) -> dict[str, Any] | None:
    """``LeaseSubmitApi.InputSerializer``'s validated data for the everyday body (a JSON object whose
    comment and client key are plain ASCII and whose time is an int in range), without building the
    serializer: a submit comes hundreds of times a second and the serializer deep-copies its fields
    each time. None for anything else, which the serializer then validates.
    ``tests/annotation/test_payloads.py`` holds the two equal."""
    if type(data) is not dict:
        return None
    comment, key, spent = data.get("comment", ""), data.get("client_key", ""), data.get("time_spent_ms", 0)
    if type(comment) is not str or not comment.isascii() or "\x00" in comment:
        return None
    if type(key) is not str or not key.isascii() or "\x00" in key or len(key) > 64 or key != key.strip():
        return None
    if type(spent) is not int or not 0 <= spent <= _MAX_TIME_SPENT_MS:
        return None
    fields = {"comment": comment, "client_key": key, "time_spent_ms": spent}
    for name in ("labels", "spans"):
        if name in data:
            if data[name] is None:
                return None  # "may not be null"
            fields[name] = data[name]
    return fields


class LeaseSubmitApi(QueueApi):
    """Submit labels for the leased item. 201 when recorded; 200 with the same body when a retry
    with the same ``client_key`` finds it already recorded."""

    class InputSerializer(serializers.Serializer[Any]):
        labels = serializers.JSONField(required=False)
        spans = serializers.JSONField(required=False)
        comment = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
        time_spent_ms = serializers.IntegerField(required=False, default=0, min_value=0, max_value=_MAX_TIME_SPENT_MS)
        client_key = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)

    class OutputSerializer(serializers.Serializer[Any]):
        annotation = AnnotationOut()
        undo_until = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, 200: OutputSerializer})
    def post(self, request: Request, lease_id: int) -> Response:
        fields = plain_submit_fields(request.data)
        if fields is None:  # anything out of the ordinary: the serializer judges it, and names the field
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            fields = dict(data.validated_data)
        result = services.annotation_submit(actor=actor_for(request.user), lease_id=lease_id, **fields)
        body = {
            "annotation": annotation_payload(result.annotation),
            "undo_until": _DATETIME.to_representation(result.undo_until),
        }
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
        return Response(self.OutputSerializer({"lease": lease}, context={"request": request}).data)


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


# --- raw content: reveal (internal, audited), edit (admins), canaries ----------------------------------


class ItemRevealOut(serializers.Serializer[Any]):
    item_id = serializers.IntegerField()
    text = serializers.CharField(help_text="The raw content. Shown to cleared internal staff only.")
    expires_at = serializers.DateTimeField(help_text="Hide it from this time on; reveal again to see it.")


class ItemRevealApi(APIView):
    """POST: reveal one item's raw content with a typed justification, for a limited time (internal
    reviewers, admins and ML engineers; never a vendor account). GET: read it again while the grant
    runs. Both are written to the append-only audit log."""

    class InputSerializer(serializers.Serializer[Any]):
        justification = serializers.CharField(min_length=10, max_length=2000)

    def _item(self, request: Request, pk: int) -> tuple[Actor, Item]:
        actor = actor_for(request.user)
        if not actor.is_internal:
            raise AccessDenied("Vendor accounts can never see raw content.")
        return actor, selectors.item_get(actor, pk)

    @extend_schema(request=InputSerializer, responses={200: ItemRevealOut})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor, item = self._item(request, pk)
        revealed = reveal_item(
            actor=actor, item=item, item_id=item.pk, justification=data.validated_data["justification"]
        )
        return raw_content_response(ItemRevealOut(revealed).data)

    @extend_schema(responses={200: ItemRevealOut})
    def get(self, request: Request, pk: int) -> Response:
        actor, item = self._item(request, pk)
        return raw_content_response(ItemRevealOut(read_revealed(actor=actor, item=item, item_id=item.pk)).data)


class ItemTextEditApi(APIView):
    """Replace an item's text (admins): the redacted views are recomputed and the raw re-sealed."""

    required_scope = TokenScope.ADMIN

    class InputSerializer(serializers.Serializer[Any]):
        text = serializers.CharField(max_length=1_000_000, allow_blank=True, trim_whitespace=False)
        reason = serializers.CharField(min_length=10, max_length=2000)

    @extend_schema(request=InputSerializer, responses={200: ItemOut})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = actor_for(request.user)
        items.check_item_edit(actor)
        item = items.item_edit_text(
            actor=actor, item=selectors.item_get(actor, pk), text=data.validated_data["text"],
            reason=data.validated_data["reason"],
        )
        return Response(ItemOut(selectors.item_get(actor, item.pk)).data)


class CanaryPlantApi(APIView):
    """Plant a canary item in a project (admins): synthetic PII that must never reach a vendor."""

    required_scope = TokenScope.ADMIN

    class InputSerializer(serializers.Serializer[Any]):
        kinds = serializers.ListField(
            child=serializers.ChoiceField(choices=list(canaries.KINDS)), required=False, allow_empty=False
        )

    class OutputSerializer(serializers.Serializer[Any]):
        item_id = serializers.IntegerField()
        canary_ids = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = actor_for(request.user)
        items.check_canary_plant(actor)
        project = selectors.project_get(actor, project_id)
        item, planted = items.canary_plant(
            actor=actor, project=project, kinds=tuple(data.validated_data.get("kinds") or canaries.KINDS)
        )
        body = {"item_id": item.pk, "canary_ids": [c.pk for c in planted]}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class ItemMediaApi(APIView):
    """The item's processed image (metadata stripped, faces and marked regions blurred): the only
    image bytes Quorum serves, to anyone who may see the item."""

    @extend_schema(responses={(200, "image/*"): bytes})
    def get(self, request: Request, pk: int) -> FileResponse:
        item = selectors.item_get(actor_for(request.user), pk)
        path = media.stored_path(item.media)
        if path is None:
            raise exceptions.NotFound("This item has no stored image.")
        response = FileResponse(path.open("rb"), content_type=media.CONTENT_TYPES[path.suffix.lstrip(".")])
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=3600"
        response["Content-Disposition"] = "inline"
        return response


class ItemMediaRegionsApi(APIView):
    """Blur regions a reviewer marked on an item's image (internal reviewers and admins; audited).
    Vendors then only ever get the new image."""

    class InputSerializer(serializers.Serializer[Any]):
        regions = serializers.ListField(
            child=serializers.ListField(child=serializers.IntegerField(min_value=0), min_length=4, max_length=4),
            min_length=1, max_length=100,
        )

    @extend_schema(request=InputSerializer, responses={200: ItemOut})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = actor_for(request.user)
        item = selectors.item_get(actor, pk)
        try:
            items.item_mark_regions(actor=actor, item=item, regions=data.validated_data["regions"])
        except SchemaError as e:
            raise exceptions.ValidationError({e.field: [e.message]}) from None
        return Response(ItemOut(selectors.item_get(actor, pk), context={"request": request}).data)
