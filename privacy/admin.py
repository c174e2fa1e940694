"""Admin: the audit log and canaries, read-only (the log is append-only)."""

from __future__ import annotations

from django.contrib import admin

from workforce.admin import ReadOnlyAdmin

from .models import AuditEntry, Canary, CanaryAlert


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "reason"]
    list_filter = ["action"]
    search_fields = ["reason", "actor__username"]


@admin.register(CanaryAlert)
class CanaryAlertAdmin(ReadOnlyAdmin):
    list_display = ["at", "canary", "channel", "where", "user_id"]
    list_filter = ["channel"]


@admin.register(Canary)
class CanaryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "project_id", "kind", "active"]
    exclude = ["value"]
