"""Django admin for workforce models, and the read-only admin other apps show their logs with."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from .models import ApiToken, Organization, User, Vendor


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Rows that change only through services (audit logs, snapshots): shown, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ["name", "slug", "created_at"]


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin[Vendor]):
    list_display = ["name", "organization", "country", "clearance", "rate_per_task", "rate_per_hour", "active"]
    list_filter = ["clearance", "active", "organization"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "role", "vendor", "organization", "is_active"]
    list_filter = ["role", "vendor", "is_active"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Membership", {"fields": ("organization", "vendor", "role")}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]
