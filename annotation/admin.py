"""Django admin for annotation models. Raw item text is not shown: only the redacted view."""

from django.contrib import admin

from .models import Annotation, ImportJob, Item, Project, ProjectVendor


class ProjectVendorInline(admin.TabularInline[ProjectVendor, Project]):
    model = ProjectVendor
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ["name", "organization", "kind", "overlap", "priority", "paused"]
    list_filter = ["kind", "paused"]
    search_fields = ["name", "slug"]
    inlines = [ProjectVendorInline]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin[Item]):
    list_display = ["external_id", "project", "state", "priority", "annotation_count", "is_gold"]
    list_filter = ["state", "is_gold", "project"]
    search_fields = ["external_id"]
    exclude = ["text_sealed"]
    readonly_fields = ["text_redacted", "content_hash", "import_job"]
    raw_id_fields = ["project", "pinned_vendor"]
    show_full_result_count = False


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin[Annotation]):
    list_display = ["item", "annotator", "vendor", "source", "created_at"]
    list_filter = ["source"]
    raw_id_fields = ["item", "annotator"]
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    list_display = ["id", "project", "status", "source_name", "rows_seen", "created_count", "error_count"]
    list_filter = ["status"]
    readonly_fields = ["errors"]
