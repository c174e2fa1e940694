"""Privacy API routes."""

from django.urls import path

from . import api

urlpatterns = [
    path("privacy/audit", api.AuditListApi.as_view(), name="privacy-audit"),
    path("privacy/audit/export.csv", api.AuditExportApi.as_view(), name="privacy-audit-export"),
    path("privacy/canary-alerts", api.CanaryAlertListApi.as_view(), name="privacy-canary-alerts"),
]
