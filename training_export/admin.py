"""Admin: snapshots, adjudications and erasures are shown read-only (they change through services)."""

from __future__ import annotations

from django.contrib import admin

from workforce.admin import ReadOnlyAdmin

from .models import Adjudication, Erasure, Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ("id", "project", "status", "format", "strategy", "level", "row_count", "erased_items", "created_at")
    list_filter = ("status", "format", "strategy", "level")


@admin.register(Adjudication)
class AdjudicationAdmin(ReadOnlyAdmin):
    list_display = ("item", "labels", "decided_by", "created_at")


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    list_display = ("item_id", "project", "actor", "reason", "created_at")
