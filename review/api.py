"""REST endpoints for moderation: policies, cases and the review queue, decisions, escalations,
appeals, webhooks and reports. Thin: parse, call a service or selector with the acting user,
serialize. Item content is always ``text_redacted``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import django_filters
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.media import media_for
from privacy.api import raw_content_response
from privacy.clearance import RESTRICTED_FIELD, view_field
from privacy.reveal import reveal_item
from workforce.access import Actor, actor_for
from workforce.apiviews import ActorScopedMixin

from . import reports, selectors
from .conf import review_setting
from .models import (
    Appeal,
    Case,
    CaseLease,
    CaseSource,
    Decision,
    DecisionAction,
    PolicyCategory,
    PolicyVersion,
    ReviewSettings,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from .services import cases as case_services
from .services import policy as policy_services
from .services import queue as queue_services
from .services import webhooks as webhook_services
from .services.errors import BreakRequired, InvalidDecision, ReviewError
from .state import IllegalTransition
from .urgency import priority


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the case's current state."
    default_code = "conflict"


class ReviewApi(APIView):
    """Domain errors become API errors: a state conflict is 409 with its code (a break adds
    ``break_until``), a bad field 400, a case or delivery that is not there (for you) 404."""

    error_statuses = (409,)  # documented in the schema (workforce.apiviews.QuorumAutoSchema)

    def handle_exception(self, exc: Exception) -> Response:
        break_until = exc.break_until if isinstance(exc, BreakRequired) else None
        if isinstance(exc, InvalidDecision):
            exc = exceptions.ValidationError({exc.field: [exc.message]})
        elif isinstance(exc, ReviewError | IllegalTransition):
            exc = Conflict(exc.message, code=exc.code)
        elif isinstance(exc, ObjectDoesNotExist):
            exc = exceptions.NotFound()
        response = super().handle_exception(exc)
        if break_until is not None and isinstance(response.data, dict) and "error" in response.data:
            response.data["error"]["break_until"] = break_until.isoformat()
        return response


# --- serializers shared by several views ----------------------------------------------------------


# Choice-valued outputs are plain strings and numbers in the schema: the same field names (state,
# source, kind, status) carry other choice sets in other apps, and would collide as enum names.


class PolicyCategoryOut(serializers.ModelSerializer[PolicyCategory]):
    min_tier = serializers.IntegerField(read_only=True)

    class Meta:
        model = PolicyCategory
        fields = ["code", "name", "description", "warning", "min_tier", "graphic"]


class PolicyOut(serializers.ModelSerializer[PolicyVersion]):
    categories = PolicyCategoryOut(many=True, read_only=True)

    class Meta:
        model = PolicyVersion
        fields = ["id", "version", "name", "notes", "sla_minutes", "active", "created_at", "categories"]


class CaseOut(serializers.ModelSerializer[Case]):
    """A case in a list: no content."""

    item = serializers.IntegerField(source="item_id")
    project = serializers.IntegerField(source="project_id")
    source = serializers.CharField(read_only=True)  # type: ignore[assignment]
    state = serializers.CharField(read_only=True, help_text="open, in_review, escalated, decided, appealed")
    tier = serializers.IntegerField(read_only=True, help_text="1 L1 (vendor), 2 L2 (internal), 3 specialist")
    final_action = serializers.CharField(read_only=True)
    auto_closed = serializers.BooleanField(
        read_only=True, help_text="Closed by the triage model: its final decision is the model's, no person's."
    )
    policy_version = serializers.IntegerField(source="policy.version")
    is_qa = serializers.SerializerMethodField()
    breached = serializers.SerializerMethodField()
    priority = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id", "item", "project", "source", "category", "severity", "tier", "state", "due_at", "breached",
            "priority", "report_count", "assignee", "leased_until", "final_action", "auto_closed", "decided_at",
            "is_qa", "policy_version", "created_at",
        ]

    def get_is_qa(self, case: Case) -> bool:
        return case.qa_of_id is not None

    def get_breached(self, case: Case) -> bool:
        return case.due_at <= timezone.now() and case.decided_at is None

    def get_priority(self, case: Case) -> float:
        tau = float(review_setting("REVIEW_URGENCY_TAU_SECONDS"))
        return round(priority(now=timezone.now(), due_at=case.due_at, severity=case.severity, tau_seconds=tau), 4)


class DecisionOut(serializers.ModelSerializer[Decision]):
    policy_version = serializers.IntegerField(source="policy.version")
    kind = serializers.CharField(read_only=True, help_text="review, appeal, qa, or model (the triage auto-close)")
    action = serializers.CharField(read_only=True, help_text="allow, remove, restrict or escalate")
    tier = serializers.IntegerField(read_only=True)
    decided_by = serializers.SerializerMethodField(help_text="person, or model (then reviewer is null)")
    model_version = serializers.CharField(read_only=True, help_text="The model that decided; empty for people.")
    model_detail = serializers.SerializerMethodField(
        help_text="For model decisions: score, category, thresholds and routing config in force (internal staff)."
    )

    class Meta:
        model = Decision
        fields = [
            "id", "kind", "action", "policy_codes", "policy_version", "tier", "rationale", "reviewer", "vendor",
            "decided_by", "model_version", "model_detail", "time_spent_ms", "within_sla", "created_at",
        ]

    def get_decided_by(self, decision: Decision) -> str:
        return "model" if decision.by_model else "person"

    def get_model_detail(self, decision: Decision) -> dict[str, Any]:
        # The routing config is the organization's business, not its vendors'.
        actor: Actor | None = self.context.get("actor")
        return dict(decision.model_detail) if actor is not None and actor.is_internal else {}


class AppealOut(serializers.ModelSerializer[Appeal]):
    state = serializers.CharField(read_only=True, help_text="pending, upheld or overturned")

    class Meta:
        model = Appeal
        fields = ["id", "case", "decision", "state", "reason", "resolution", "created_at", "resolved_at"]


class HistoryOut(serializers.ModelSerializer[Case]):
    decisions = DecisionOut(many=True, read_only=True)

    class Meta:
        model = Case
        fields = ["id", "source", "category", "severity", "state", "final_action", "created_at", "decisions"]


class ContentOut(serializers.Serializer[Any]):
    """The item as a reviewer sees it: the stored view of their clearance (restricted unless the
    context's actor clears more), never the sealed raw text."""

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    text = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()

    def get_media(self, item: Any) -> str:
        actor = self.context.get("actor")
        return media_for(item_id=item.pk, value=item.media, internal=actor is not None and actor.is_internal)

    def get_text(self, item: Any) -> str:
        actor = self.context.get("actor")
        return str(getattr(item, view_field(actor.clearance) if actor is not None else RESTRICTED_FIELD))
    source_system = serializers.CharField()


class CaseDetailOut(CaseOut):
    content = ContentOut(source="item")
    note = serializers.CharField()
    external_ref = serializers.CharField()
    decisions = DecisionOut(many=True, read_only=True)
    appeals = AppealOut(many=True, read_only=True)

    class Meta(CaseOut.Meta):
        fields = [*CaseOut.Meta.fields, "content", "note", "external_ref", "decisions", "appeals"]


class CaseWorkOut(CaseOut):
    """The case being reviewed: content, the category's warning, earlier cases of the content."""

    content = ContentOut(source="item")
    note = serializers.CharField()
    warning = serializers.SerializerMethodField()
    graphic = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    is_appeal = serializers.SerializerMethodField()

    class Meta(CaseOut.Meta):
        fields = [*CaseOut.Meta.fields, "content", "note", "warning", "graphic", "history", "is_appeal"]

    def _category(self, case: Case) -> PolicyCategory | None:
        cats: dict[str, PolicyCategory] = self.context.get("categories", {})
        return cats.get(case.category)

    def get_warning(self, case: Case) -> str:
        cat = self._category(case)
        return cat.warning if cat else ""

    def get_graphic(self, case: Case) -> bool:
        cat = self._category(case)
        return bool(cat and cat.graphic)

    def get_is_appeal(self, case: Case) -> bool:
        return case.queued_as == "appealed" or case.appeals.filter(state="pending").exists()

    def get_history(self, case: Case) -> list[dict[str, Any]]:
        actor: Actor = self.context["actor"]
        return list(HistoryOut(selectors.case_history(actor, case), many=True).data)


def _seconds_left(until: datetime | None) -> int:
    return max(0, int((until - timezone.now()).total_seconds())) if until else 0


class LeaseOut(serializers.Serializer[CaseLease]):
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    seconds_left = serializers.SerializerMethodField()

    def get_seconds_left(self, lease: CaseLease) -> int:
        return _seconds_left(lease.expires_at)


def _work_context(actor: Actor, case: Case) -> dict[str, Any]:
    return {"actor": actor, "categories": policy_services.policy_categories(case.policy)}


# --- policies -------------------------------------------------------------------------------------


class PolicyListApi(ActorScopedMixin[PolicyVersion], generics.ListCreateAPIView[PolicyVersion], ReviewApi):
    """The organization's policy versions, newest first; POST publishes a new version (admins)."""

    serializer_class = PolicyOut
    model = PolicyVersion

    class InputSerializer(serializers.Serializer[Any]):
        class CategoryInputSerializer(serializers.Serializer[Any]):
            code = serializers.CharField(max_length=16)
            name = serializers.CharField(max_length=200)
            description = serializers.CharField(required=False, allow_blank=True, default="")
            warning = serializers.CharField(required=False, allow_blank=True, default="")
            min_tier = serializers.IntegerField(min_value=1, max_value=3, default=1)
            graphic = serializers.BooleanField(default=False)

        name = serializers.CharField(max_length=200)
        notes = serializers.CharField(required=False, allow_blank=True, default="")
        categories = CategoryInputSerializer(many=True)
        sla_minutes = serializers.DictField(child=serializers.IntegerField(min_value=1), required=False)

    def scoped_queryset(self, actor: Actor) -> QuerySet[PolicyVersion]:
        policy_services.policy_default(organization_id=actor.organization_id)  # created on first use
        return selectors.policies_visible(actor)

    @extend_schema(request=InputSerializer, responses={201: PolicyOut})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = policy_services.policy_publish(actor=actor_for(request.user), **data.validated_data)
        return Response(PolicyOut(policy).data, status=status.HTTP_201_CREATED)


class PolicyDetailApi(ActorScopedMixin[PolicyVersion], generics.RetrieveAPIView[PolicyVersion]):
    serializer_class = PolicyOut
    model = PolicyVersion

    def scoped_queryset(self, actor: Actor) -> QuerySet[PolicyVersion]:
        return selectors.policies_visible(actor)


# --- cases ----------------------------------------------------------------------------------------


class CaseFilter(django_filters.FilterSet):
    breached = django_filters.BooleanFilter(method="filter_breached")

    class Meta:
        model = Case
        fields = ["state", "severity", "tier", "category", "source", "project", "item", "auto_closed"]

    def filter_breached(self, qs: QuerySet[Case], name: str, value: bool | None) -> QuerySet[Case]:
        if value is None:
            return qs
        now = timezone.now()
        return qs.filter(due_at__lte=now, decided_at__isnull=True) if value else qs.exclude(
            due_at__lte=now, decided_at__isnull=True
        )


class CaseListApi(ActorScopedMixin[Case], generics.ListCreateAPIView[Case], ReviewApi):
    """Cases you may see, newest first, with filters. POST opens a case from a user report, a model
    triage, an annotator's escalation or an external appeal (201), or adds the report to the item's
    open case of that category (200)."""

    serializer_class = CaseOut
    filterset_class = CaseFilter
    model = Case

    class InputSerializer(serializers.Serializer[Any]):
        item = serializers.IntegerField()
        # Declared fields leave the class body (DRF's metaclass), so this does not shadow Field.source.
        source = serializers.ChoiceField(  # type: ignore[assignment]
            choices=[s for s in CaseSource.values if s != CaseSource.QA_SAMPLE]
        )
        category = serializers.CharField(max_length=16)
        severity = serializers.IntegerField(min_value=1, max_value=4)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
        external_ref = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
        triage_score = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0,
                                              max_value=1)
        tier = serializers.IntegerField(min_value=1, max_value=3, required=False, allow_null=True, default=None)

    def scoped_queryset(self, actor: Actor) -> QuerySet[Case]:
        return selectors.cases_visible(actor).select_related("policy")

    @extend_schema(request=InputSerializer, responses={201: CaseOut, 200: CaseOut})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        case, created = case_services.case_create(actor=actor_for(request.user), item_id=fields.pop("item"), **fields)
        return Response(CaseOut(case).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CaseDetailApi(ReviewApi):
    @extend_schema(responses={200: CaseDetailOut})
    def get(self, request: Request, pk: int) -> Response:
        actor = actor_for(request.user)
        case = selectors.case_detail(actor, pk)
        return Response(CaseDetailOut(case, context={"actor": actor}).data)


class CaseQueueApi(ReviewApi):
    """The most urgent cases at your tiers (breached first), as the claim would serve them."""

    @extend_schema(responses={200: CaseOut(many=True)})
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        raw = request.query_params.get("limit", "50")
        if not raw.isdigit():
            raise exceptions.ValidationError({"limit": ["A whole number, at most 200."]})
        cases = selectors.queue_preview(actor, limit=min(200, int(raw)))
        return Response(CaseOut(cases, many=True).data)


class CaseClaimOut(serializers.Serializer[Any]):
    lease = LeaseOut()
    case = CaseWorkOut()


class CaseClaimApi(ReviewApi):
    """Claim the most urgent case you may take, or get back the one you hold. 204: nothing for you
    now. 409 ``break_required`` with ``break_until`` during a mandatory break."""

    @extend_schema(request=None, responses={200: CaseClaimOut, 204: None})
    def post(self, request: Request) -> Response:
        actor = actor_for(request.user)
        lease = queue_services.case_claim(actor=actor)
        if lease is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        case = lease.case
        out = {"lease": LeaseOut(lease).data,
               "case": CaseWorkOut(case, context=_work_context(actor, case)).data}
        return Response(out)


class CaseHeartbeatApi(ReviewApi):
    @extend_schema(request=None, responses={200: LeaseOut})
    def post(self, request: Request, pk: int) -> Response:
        lease = queue_services.case_heartbeat(actor=actor_for(request.user), case_id=pk)
        return Response(LeaseOut(lease).data)


class CaseReleaseApi(ReviewApi):
    @extend_schema(request=None, responses={200: CaseOut})
    def post(self, request: Request, pk: int) -> Response:
        case = queue_services.case_release(actor=actor_for(request.user), case_id=pk)
        return Response(CaseOut(case).data)


class CaseDecideApi(ReviewApi):
    """Decide the case you hold: 201 when recorded, 200 with the same body for a retry with the
    same ``client_key``."""

    class InputSerializer(serializers.Serializer[Any]):
        action = serializers.ChoiceField(choices=DecisionAction.choices)
        policy_codes = serializers.ListField(child=serializers.CharField(max_length=16), required=False,
                                             default=list, max_length=20)
        rationale = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
        time_spent_ms = serializers.IntegerField(required=False, default=0, min_value=0, max_value=86_400_000)
        client_key = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)

    class OutputSerializer(serializers.Serializer[Any]):
        decision = DecisionOut()
        case = CaseOut()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, 200: OutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = case_services.case_decide(actor=actor_for(request.user), case_id=pk, **data.validated_data)
        decision = result.decision
        body = self.OutputSerializer({"decision": decision, "case": decision.case}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class CaseEscalateApi(ReviewApi):
    """Escalate a case to the next tier: the one you hold, or (internal staff) one still waiting."""

    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
        client_key = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)

    @extend_schema(request=InputSerializer, responses={200: CaseOut})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = actor_for(request.user)
        selectors.case_get(actor, pk)  # 404 for a case the actor may not see
        case = case_services.case_escalate(actor=actor, case_id=pk, **data.validated_data)
        return Response(CaseOut(case).data)


class CaseAppealApi(ReviewApi):
    """Appeal the case's latest decision; a different reviewer of the same or a higher tier
    re-reviews it."""

    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    @extend_schema(request=InputSerializer, responses={201: AppealOut})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = actor_for(request.user)
        selectors.case_get(actor, pk)
        appeal = case_services.case_appeal(actor=actor, case_id=pk, **data.validated_data)
        return Response(AppealOut(appeal).data, status=status.HTTP_201_CREATED)


class RevealOut(serializers.Serializer[Any]):
    item_id = serializers.IntegerField()
    text = serializers.CharField(help_text="The raw content. Shown to cleared internal staff only.")
    expires_at = serializers.DateTimeField(help_text="Hide it from this time on; reveal again to see it.")


class CaseRevealApi(ReviewApi):
    """Reveal the raw content of a case's item to an internal reviewer, with a typed reason, for a
    limited time. Every reveal is written to the append-only audit log (privacy.reveal)."""

    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(min_length=10, max_length=2000)

    @extend_schema(request=InputSerializer, responses={200: RevealOut})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = actor_for(request.user)
        case = selectors.case_get(actor, pk)
        revealed = reveal_item(
            actor=actor, item=case.item, item_id=case.item_id, justification=data.validated_data["reason"]
        )
        return raw_content_response(RevealOut(revealed).data)


# --- settings and the reviewer's own wellness ------------------------------------------------------


class ReviewSettingsApi(ReviewApi):
    """The organization's review settings: exposure caps, breaks, QA rate, lease time. PATCH: admins."""

    class OutputSerializer(serializers.ModelSerializer[ReviewSettings]):
        class Meta:
            model = ReviewSettings
            fields = list(policy_services.SETTINGS_FIELDS)

    class InputSerializer(serializers.Serializer[Any]):
        exposure_caps = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False)
        severe_severity = serializers.IntegerField(min_value=1, max_value=4, required=False)
        break_after = serializers.IntegerField(min_value=0, max_value=1000, required=False)
        break_minutes = serializers.IntegerField(min_value=1, max_value=240, required=False)
        qa_sample_rate = serializers.FloatField(min_value=0, max_value=1, required=False)
        qa_sla_minutes = serializers.IntegerField(min_value=1, required=False)
        lease_seconds = serializers.IntegerField(min_value=30, max_value=86400, required=False)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        return Response(self.OutputSerializer(policy_services.review_settings_get(
            organization_id=actor.organization_id)).data)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        row = policy_services.review_settings_update(actor=actor_for(request.user), **data.validated_data)
        return Response(self.OutputSerializer(row).data)


class MyWellnessApi(ReviewApi):
    """Your own exposure today against the caps, your severe streak and any break you are on."""

    class OutputSerializer(serializers.Serializer[Any]):
        class ExposureOutputSerializer(serializers.Serializer[Any]):
            category = serializers.CharField()
            items = serializers.IntegerField()
            cap = serializers.IntegerField(allow_null=True)

        day = serializers.DateField()
        exposure = ExposureOutputSerializer(many=True)
        capped = serializers.ListField(child=serializers.CharField())
        severe_streak = serializers.IntegerField()
        break_until = serializers.DateTimeField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        actor = actor_for(request.user)
        settings = policy_services.review_settings_get(organization_id=actor.organization_id)
        caps = {str(k): int(v) for k, v in (settings.exposure_caps or {}).items()}
        return Response(self.OutputSerializer(selectors.my_wellness(actor, caps=caps)).data)


# --- webhooks (admins) ------------------------------------------------------------------------------


class WebhookEndpointOut(serializers.ModelSerializer[WebhookEndpoint]):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "project", "url", "description", "active", "max_attempts", "created_at"]


class WebhookEndpointListApi(ActorScopedMixin[WebhookEndpoint], generics.ListCreateAPIView[WebhookEndpoint],
                             ReviewApi):
    """Receivers of decisions (per project, or the organization's fallback). POST answers the
    signing secret once."""

    serializer_class = WebhookEndpointOut
    model = WebhookEndpoint

    class InputSerializer(serializers.Serializer[Any]):
        url = serializers.URLField(max_length=500)
        project = serializers.IntegerField(required=False, allow_null=True, default=None)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
        max_attempts = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                                max_value=20)

    class CreatedSerializer(WebhookEndpointOut):
        secret = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

        class Meta(WebhookEndpointOut.Meta):
            fields = [*WebhookEndpointOut.Meta.fields, "secret"]

    def scoped_queryset(self, actor: Actor) -> QuerySet[WebhookEndpoint]:
        webhook_services.check_webhook_admin(actor=actor)
        return selectors.webhook_endpoints_visible(actor)

    @extend_schema(request=InputSerializer, responses={201: CreatedSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        endpoint = webhook_services.webhook_endpoint_create(
            actor=actor_for(request.user), project_id=fields.pop("project"), **fields
        )
        return Response(self.CreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailApi(ActorScopedMixin[WebhookEndpoint], generics.RetrieveDestroyAPIView[WebhookEndpoint],
                               ReviewApi):
    """DELETE deactivates the endpoint (its deliveries are kept)."""

    serializer_class = WebhookEndpointOut
    model = WebhookEndpoint

    def scoped_queryset(self, actor: Actor) -> QuerySet[WebhookEndpoint]:
        webhook_services.check_webhook_admin(actor=actor)
        return selectors.webhook_endpoints_visible(actor)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        webhook_services.webhook_endpoint_deactivate(actor=actor_for(self.request.user), endpoint=instance)


class WebhookAttemptOut(serializers.ModelSerializer[WebhookAttempt]):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error"]


class WebhookDeliveryOut(serializers.ModelSerializer[WebhookDelivery]):
    url = serializers.CharField(source="endpoint.url")
    status = serializers.CharField(read_only=True, help_text="pending, delivered or dead")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "endpoint", "url", "decision", "event", "idempotency_key", "status", "attempts",
            "last_status_code", "last_error", "next_attempt_at", "delivered_at", "dead_at", "created_at",
        ]


class WebhookDeliveryDetailOut(WebhookDeliveryOut):
    attempt_log = WebhookAttemptOut(many=True, read_only=True)

    class Meta(WebhookDeliveryOut.Meta):
        fields = [*WebhookDeliveryOut.Meta.fields, "body", "attempt_log"]


class WebhookDeadLetterListApi(ActorScopedMixin[WebhookDelivery], generics.ListAPIView[WebhookDelivery], ReviewApi):
    """Deliveries that failed every attempt, newest first (admins)."""

    serializer_class = WebhookDeliveryOut
    model = WebhookDelivery

    def scoped_queryset(self, actor: Actor) -> QuerySet[WebhookDelivery]:
        webhook_services.check_webhook_admin(actor=actor)
        return selectors.webhook_deliveries_visible(actor).filter(status="dead")


class WebhookDeliveryDetailApi(ActorScopedMixin[WebhookDelivery], generics.RetrieveAPIView[WebhookDelivery],
                               ReviewApi):
    serializer_class = WebhookDeliveryDetailOut
    model = WebhookDelivery

    def scoped_queryset(self, actor: Actor) -> QuerySet[WebhookDelivery]:
        webhook_services.check_webhook_admin(actor=actor)
        return selectors.webhook_deliveries_visible(actor).prefetch_related("attempt_log")


class WebhookRedeliverApi(ReviewApi):
    @extend_schema(request=None, responses={202: WebhookDeliveryOut})
    def post(self, request: Request, pk: int) -> Response:
        delivery = webhook_services.delivery_redeliver(actor=actor_for(request.user), delivery_id=pk)
        return Response(WebhookDeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)


# --- reports (admins; vendor managers for their vendor) ----------------------------------------------


def _since(request: Request, default_days: int = 7) -> datetime:
    raw = request.query_params.get("since")
    if raw:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError as e:
            raise exceptions.ValidationError({"since": ["An ISO 8601 date or time."]}) from e
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    return timezone.now() - timedelta(days=default_days)


class SlaReportApi(ReviewApi):
    """Share of cases decided before due, by kind, severity and tier (``?since=`` ISO time)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        since = _since(request)
        return Response(reports.sla_report(actor=actor_for(request.user), since=since, until=timezone.now()))


class WellnessReportApi(ReviewApi):
    """Exposure by category, breaks and reviewers resting for a day (``?day=YYYY-MM-DD``):
    aggregates only."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("day")
        try:
            day = datetime.fromisoformat(raw).date() if raw else None
        except ValueError as e:
            raise exceptions.ValidationError({"day": ["A date, YYYY-MM-DD."]}) from e
        return Response(reports.wellness_report(actor=actor_for(request.user), day=day))


class QualityReportApi(ReviewApi):
    """QA agreement per reviewer with Cohen's kappa, and appeal overturn rates (``?since=``)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(reports.quality_report(actor=actor_for(request.user), since=_since(request, 30)))
