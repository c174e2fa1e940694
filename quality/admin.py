"""Django admin for quality: settings, standing and notices are editable; statements are read-only
here (they are made and approved through the billing services, which keep them locked)."""

from typing import Any

from django.contrib import admin

from .models import AnnotatorStanding, Notice, QualityConfig, Statement, StatementLine


@admin.register(QualityConfig)
class QualityConfigAdmin(admin.ModelAdmin[QualityConfig]):
    list_display = ["project", "pause_below", "min_gold", "qualification_items", "adjudicate", "ordinal"]
    raw_id_fields = ["project"]


@admin.register(AnnotatorStanding)
class AnnotatorStandingAdmin(admin.ModelAdmin[AnnotatorStanding]):
    list_display = ["annotator", "project", "vendor", "gold_seen", "gold_correct", "qualified", "paused"]
    list_filter = ["paused", "qualified"]
    raw_id_fields = ["project", "annotator", "vendor"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin[Notice]):
    list_display = ["created_at", "kind", "vendor", "message"]
    list_filter = ["kind"]


class StatementLineInline(admin.TabularInline[StatementLine, Statement]):
    model = StatementLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "project",
        "project_name",
        "submitted",
        "rejected",
        "handling_ms",
        "rejected_ms",
        "quantity",
        "amount",
    ]


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin[Statement]):
    list_display = ["vendor", "period_start", "period_end", "basis", "total", "currency", "status"]
    list_filter = ["status", "basis"]
    inlines = [StatementLineInline]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False
