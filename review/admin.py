"""Django admin for review. Item content is not shown here; webhook secrets are never listed."""

from django.contrib import admin

from .models import (
    Appeal,
    Case,
    Decision,
    PolicyCategory,
    PolicyVersion,
    ReviewerProfile,
    ReviewSettings,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class PolicyCategoryInline(admin.TabularInline[PolicyCategory, PolicyVersion]):
    model = PolicyCategory
    extra = 0


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin[PolicyVersion]):
    list_display = ["name", "organization", "version", "active", "created_at"]
    list_filter = ["active"]
    inlines = [PolicyCategoryInline]

    def has_change_permission(self, request: object, obj: PolicyVersion | None = None) -> bool:
        return False  # versions are immutable: publish a new one through the API


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin[Case]):
    list_display = ["id", "organization", "category", "severity", "tier", "state", "source", "due_at"]
    list_filter = ["state", "tier", "severity", "source"]
    raw_id_fields = ["item", "project", "policy", "reported_by", "assignee", "excluded_reviewer", "qa_of"]
    readonly_fields = ["urgency_key", "created_at", "updated_at"]
    show_full_result_count = False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin[Decision]):
    list_display = ["id", "case", "kind", "action", "tier", "reviewer", "model_version", "within_sla", "created_at"]
    list_filter = ["kind", "action", "tier"]
    raw_id_fields = ["case", "reviewer", "policy"]


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin[Appeal]):
    list_display = ["id", "case", "state", "created_at", "resolved_at"]
    raw_id_fields = ["case", "decision", "resolution", "requested_by"]


admin.site.register(ReviewerProfile)
admin.site.register(ReviewSettings)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    list_display = ["url", "organization", "project", "active", "max_attempts"]
    exclude = ["secret"]


class WebhookAttemptInline(admin.TabularInline[WebhookAttempt, WebhookDelivery]):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "started_at", "duration_ms", "status_code", "error"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    """Dead letters: filter by status "Dead letter"."""

    list_display = ["id", "endpoint", "decision", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status"]
    raw_id_fields = ["endpoint", "decision"]
    readonly_fields = ["idempotency_key", "body", "attempts", "last_status_code", "last_error", "delivered_at",
                       "dead_at"]
    inlines = [WebhookAttemptInline]
