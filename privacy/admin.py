"""Admin: the audit log and canaries, read-only (the log is append-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry, Canary, CanaryAlert


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(_ReadOnly):
    list_display = ["at", "actor", "action", "reason"]
    list_filter = ["action"]
    search_fields = ["reason", "actor__username"]


@admin.register(CanaryAlert)
class CanaryAlertAdmin(_ReadOnly):
    list_display = ["at", "canary", "channel", "where", "user_id"]
    list_filter = ["channel"]


@admin.register(Canary)
class CanaryAdmin(_ReadOnly):
    list_display = ["created_at", "project_id", "kind", "active"]
    exclude = ["value"]
