"""People and who they work for: organizations, vendors, users with roles, API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Clearance(models.TextChoices):
    """What a vendor may see of an item, lowest first."""

    RESTRICTED = "restricted", "Restricted"
    STANDARD = "standard", "Standard"
    INTERNAL = "internal", "Internal"


CLEARANCE_ORDER = {Clearance.RESTRICTED: 0, Clearance.STANDARD: 1, Clearance.INTERNAL: 2}


class Role(models.TextChoices):
    ADMIN = "admin", "Platform admin"
    VENDOR_MANAGER = "vendor_manager", "Vendor manager"
    ANNOTATOR = "annotator", "Annotator"
    REVIEWER = "reviewer", "Reviewer"
    ML_ENGINEER = "ml_engineer", "ML engineer"


# Roles that only internal staff (no vendor) may hold, and roles that require a vendor.
INTERNAL_ONLY_ROLES = (Role.ADMIN, Role.ML_ENGINEER)
VENDOR_REQUIRED_ROLES = (Role.VENDOR_MANAGER,)


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Vendor(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vendors")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    clearance = models.CharField(
        max_length=16, choices=Clearance.choices, default=Clearance.RESTRICTED
    )
    rate_per_task = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    rate_per_hour = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="vendor_unique_name"),
            models.CheckConstraint(
                condition=Q(rate_per_task__gte=0) & Q(rate_per_hour__gte=0),
                name="vendor_rates_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person. Their membership is (organization, vendor or internal, role)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    vendor = models.ForeignKey(
        Vendor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text="Empty for internal staff.",
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANNOTATOR)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=[r.value for r in INTERNAL_ONLY_ROLES]) | Q(vendor__isnull=True),
                name="user_internal_roles_have_no_vendor",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=[r.value for r in VENDOR_REQUIRED_ROLES])
                | Q(vendor__isnull=False),
                name="user_vendor_manager_has_vendor",
            ),
        ]


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    IMPORT = "import", "Import items"
    EXPORT = "export", "Export data"
    ADMIN = "admin", "Administer"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the prefix finds the row."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
