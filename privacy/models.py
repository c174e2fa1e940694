"""Privacy state: project-wide pseudonym numbers, reveal grants, the append-only audit log, canaries."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Pseudonym(models.Model):
    """``<TYPE_n>`` numbering shared by every item of a project: (type, HMAC digest) → n.

    Only keyed digests are stored, never values; a digest is useless without the project key.
    """

    project_id = models.BigIntegerField()
    kind = models.CharField(max_length=24)
    digest = models.BinaryField(max_length=32)
    number = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project_id", "kind", "digest"], name="pseudonym_unique_digest"),
            models.UniqueConstraint(fields=["project_id", "kind", "number"], name="pseudonym_unique_number"),
        ]


class AuditAction(models.TextChoices):
    REVEAL = "reveal", "Reveal raw content"
    REVEAL_VIEW = "reveal_view", "Read raw content under a grant"
    RAW_EXPORT = "raw_export", "Export with raw content"
    AUDIT_EXPORT = "audit_export", "Export of the audit log"
    CANARY_PLANT = "canary_plant", "Canary planted"
    CANARY_ALERT = "canary_alert", "Canary value seen where it must not be"
    IMAGE_REGIONS = "image_regions", "Image regions marked"
    SNAPSHOT_RAW_TEXT = "export.snapshot_raw_text", "Training snapshot with raw text"
    ITEM_ERASED = "export.item_erased", "Item erased from snapshots and models"


class AppendOnlyError(Exception):
    """Audit entries are never changed or removed."""


class AuditEntry(models.Model):
    """Who did what to which raw content, when and why. Append-only: the model refuses updates and
    deletes, and on PostgreSQL a trigger does too (migration 0002)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    organization_id = models.BigIntegerField(null=True, db_index=True)
    # The choices name the privacy app's own actions; other apps record theirs ("export.raw_snapshot").
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    reason = models.TextField(blank=True)
    item_ids = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries cannot be deleted")


class RevealGrant(models.Model):
    """An internal user may read one item's raw content until ``expires_at``, for the given reason."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item_id = models.BigIntegerField()
    justification = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    audit = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["user", "item_id", "-expires_at"], name="reveal_grant_lookup_idx")]


class Canary(models.Model):
    """A synthetic PII value planted in a project. Seeing it in any vendor-facing output is an alert."""

    organization_id = models.BigIntegerField(db_index=True)
    project_id = models.BigIntegerField()
    item_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=24)
    value = models.CharField(max_length=200, unique=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class CanaryAlert(models.Model):
    """A canary value reached a place vendors can see (response, websocket, export or log)."""

    canary = models.ForeignKey(Canary, on_delete=models.CASCADE, related_name="alerts")
    channel = models.CharField(max_length=20)  # http, websocket, export, log
    where = models.CharField(max_length=500)
    user_id = models.BigIntegerField(null=True)
    at = models.DateTimeField(auto_now_add=True)
