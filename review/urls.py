"""API routes for review (mounted under /api/v1/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("policies", api.PolicyListApi.as_view(), name="review-policy-list"),
    path("policies/<int:pk>", api.PolicyDetailApi.as_view(), name="review-policy-detail"),
    path("cases", api.CaseListApi.as_view(), name="review-case-list"),
    path("cases/queue", api.CaseQueueApi.as_view(), name="review-case-queue"),
    path("cases/claim", api.CaseClaimApi.as_view(), name="review-case-claim"),
    path("cases/<int:pk>", api.CaseDetailApi.as_view(), name="review-case-detail"),
    path("cases/<int:pk>/heartbeat", api.CaseHeartbeatApi.as_view(), name="review-case-heartbeat"),
    path("cases/<int:pk>/release", api.CaseReleaseApi.as_view(), name="review-case-release"),
    path("cases/<int:pk>/decide", api.CaseDecideApi.as_view(), name="review-case-decide"),
    path("cases/<int:pk>/escalate", api.CaseEscalateApi.as_view(), name="review-case-escalate"),
    path("cases/<int:pk>/appeal", api.CaseAppealApi.as_view(), name="review-case-appeal"),
    path("cases/<int:pk>/reveal", api.CaseRevealApi.as_view(), name="review-case-reveal"),
    path("review/settings", api.ReviewSettingsApi.as_view(), name="review-settings"),
    path("review/me/wellness", api.MyWellnessApi.as_view(), name="review-my-wellness"),
    path("review/reports/sla", api.SlaReportApi.as_view(), name="review-report-sla"),
    path("review/reports/wellness", api.WellnessReportApi.as_view(), name="review-report-wellness"),
    path("review/reports/quality", api.QualityReportApi.as_view(), name="review-report-quality"),
    path("webhooks/endpoints", api.WebhookEndpointListApi.as_view(), name="review-webhook-endpoint-list"),
    path("webhooks/endpoints/<int:pk>", api.WebhookEndpointDetailApi.as_view(), name="review-webhook-endpoint-detail"),
    path("webhooks/dead-letters", api.WebhookDeadLetterListApi.as_view(), name="review-webhook-dead-letters"),
    path("webhooks/deliveries/<int:pk>", api.WebhookDeliveryDetailApi.as_view(), name="review-webhook-delivery"),
    path("webhooks/deliveries/<int:pk>/redeliver", api.WebhookRedeliverApi.as_view(),
         name="review-webhook-redeliver"),
]
