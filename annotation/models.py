"""Projects, items, annotations and import jobs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from workforce.models import Organization, Vendor

from .schema import KINDS, SchemaError, parse_schema


class ProjectKind(models.TextChoices):
    SINGLE_LABEL = "single_label", "Single label"
    MULTI_LABEL = "multi_label", "Multi label"
    SPAN = "span", "Text spans"
    MODERATION = "moderation", "Moderation"


assert tuple(k.value for k in ProjectKind) == KINDS


class Purpose(models.TextChoices):
    """What an item's owner allows it to be used for."""

    ANNOTATION = "annotation", "Annotation"
    MODEL_TRAINING = "model_training", "Model training"
    EVALUATION = "evaluation", "Evaluation"
    ANALYTICS = "analytics", "Analytics"


DEFAULT_PURPOSES = [Purpose.ANNOTATION.value, Purpose.MODEL_TRAINING.value, Purpose.EVALUATION.value]


def default_purposes() -> list[str]:
    return list(DEFAULT_PURPOSES)


class Project(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    kind = models.CharField(max_length=20, choices=ProjectKind.choices)
    label_schema = models.JSONField()
    guidelines = models.TextField(blank=True, help_text="Markdown shown beside every item.")
    instruction = models.TextField(blank=True, help_text="Task instruction for the model.")
    overlap = models.PositiveSmallIntegerField(default=1, help_text="Distinct annotators per item.")
    priority = models.IntegerField(default=0)
    gold_rate = models.FloatField(default=0.0, help_text="Share of claims served from gold items.")
    lease_seconds = models.PositiveIntegerField(default=300)
    paused = models.BooleanField(default=False)
    vendors: models.ManyToManyField[Vendor, ProjectVendor] = models.ManyToManyField(
        Vendor, through="ProjectVendor", related_name="projects"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="project_unique_slug"),
            models.CheckConstraint(condition=Q(overlap__gte=1) & Q(overlap__lte=50), name="project_overlap_range"),
            models.CheckConstraint(
                condition=Q(gold_rate__gte=0) & Q(gold_rate__lte=1), name="project_gold_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            parse_schema(self.kind, self.label_schema)
        except SchemaError as e:
            raise ValidationError({"label_schema": str(e)}) from e

    def save(self, *args: object, **kwargs: object) -> None:
        # The schema is validated on every save, whichever path writes the project.
        self.clean()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ProjectVendor(models.Model):
    """Routing: a vendor works a project, with a share of items and a priority."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="routes")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="routes")
    share = models.PositiveSmallIntegerField(default=100, help_text="Relative share of items.")
    priority = models.IntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "vendor"], name="route_unique_vendor"),
        ]


class ItemState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    ARCHIVED = "archived", "Archived"


class Item(models.Model):
    # Indexed by the (project, external_id) constraint and the queue index; no separate FK index.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items", db_index=False)
    external_id = models.CharField(max_length=255)
    # The raw text, sealed (AES-GCM, privacy/content.py). Only privacy.content opens it; every item
    # queryset of the vendor-facing paths defers it, and users read one of the two stored views below.
    text_sealed = models.BinaryField(default=b"", blank=True, editable=False)
    # Restricted view: every PII finding replaced by its type placeholder (<EMAIL>).
    text_redacted = models.TextField(blank=True)
    # Standard view: consistent project-wide pseudonyms (<PERSON_3>); dangerous types as placeholders.
    text_pseudonymized = models.TextField(blank=True)
    # Not a column: the view of the reader's clearance, set by selectors.items_visible and the claim.
    view_text: str
    redaction_version = models.PositiveSmallIntegerField(default=0)
    media = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    source_system = models.CharField(max_length=100, blank=True)
    jurisdiction = models.CharField(max_length=16, blank=True)
    allowed_purposes = models.JSONField(default=default_purposes)
    content_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=ItemState.choices, default=ItemState.OPEN)
    priority = models.IntegerField(default=0)
    is_gold = models.BooleanField(default=False)
    reference = models.JSONField(
        null=True, blank=True, help_text="Known answer (gold) or labels from the source system."
    )
    pinned_vendor = models.ForeignKey(
        Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    internal_only = models.BooleanField(default=False)
    annotation_count = models.PositiveIntegerField(default=0)
    # Adaptive overlap (quality.agreement): annotators this item needs, when agreement on its labels
    # says more or fewer than the project's overlap; null means the project's.
    overlap_target = models.PositiveSmallIntegerField(null=True, blank=True)
    # Active learning: 1000 × (1 - model confidence) when the project orders its queue by uncertainty,
    # else 0; the claim serves higher priority first, then the most uncertain, then the oldest.
    uncertainty = models.PositiveSmallIntegerField(default=0, db_default=0)
    # The model's pre-label, shown to annotators as pre-selected labels: {"labels", "confidence",
    # "scores", "model_version"}. Written by inference through annotation.suggestions only.
    suggestion = models.JSONField(null=True, blank=True)
    # Queue bookkeeping, kept on the item row so a claim decides availability from the row it locks
    # (annotation/queueing): ``lease_count`` leases were handed out and the last of them runs out at
    # ``leased_until``. Once ``leased_until`` has passed they count for nothing, with no cron.
    lease_count = models.PositiveSmallIntegerField(default=0, db_default=0)
    leased_until = models.DateTimeField(null=True, blank=True)
    import_job = models.ForeignKey(
        "ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        # Bookkeeping only (which import last wrote the item): no database FK, whose deferred check
        # would cost every imported row a trigger call at commit.
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="item_unique_external_id"),
            models.CheckConstraint(
                condition=Q(pinned_vendor__isnull=True) | Q(internal_only=False),
                name="item_pin_vendor_or_internal",
            ),
        ]
        indexes = [
            # The claim walks these in order and stops at the first free item: O(log n) to start.
            models.Index(
                fields=["project", "-priority", "-uncertainty", "id"],
                condition=Q(state="open", is_gold=False),
                name="item_claim_idx",
            ),
            models.Index(
                fields=["project", "-priority", "id"],
                condition=Q(state="open", is_gold=True),
                name="item_claim_gold_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.external_id}"


class AnnotationSource(models.TextChoices):
    HUMAN = "human", "Human"
    MODEL = "model", "Model"


class Annotation(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="annotations"
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="annotations")
    labels = models.JSONField(default=list, blank=True)
    spans = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True)
    time_spent_ms = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=10, choices=AnnotationSource.choices, default=AnnotationSource.HUMAN)
    model_version = models.CharField(max_length=200, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    client_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "annotator"],
                condition=Q(annotator__isnull=False),
                name="annotation_one_per_annotator",
            ),
            models.CheckConstraint(
                condition=Q(source="model") | Q(annotator__isnull=False),
                name="annotation_human_has_annotator",
            ),
            # A retried submit carries the same client key and must never count twice.
            models.UniqueConstraint(
                fields=["annotator", "client_key"],
                condition=Q(annotator__isnull=False) & ~Q(client_key=""),
                name="annotation_unique_client_key",
            ),
        ]
        indexes = [models.Index(fields=["annotator", "-created_at"], name="annotation_by_annotator_idx")]


class LeaseState(models.TextChoices):
    ACTIVE = "active", "Active"
    SUBMITTED = "submitted", "Submitted"
    SKIPPED = "skipped", "Skipped"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


class Lease(models.Model):
    """An annotator holds an item until ``expires_at``; heartbeats extend it.

    An ``active`` lease past ``expires_at`` holds nothing: it is dead without any sweeper, and is
    marked ``expired`` lazily. See annotation/queue.py for the slot accounting on the item row.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="leases", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="leases")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leases", db_index=False
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    is_gold = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=LeaseState.choices, default=LeaseState.ACTIVE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One live claim per annotator and project: concurrent claims by one person serialize here.
            models.UniqueConstraint(
                fields=["annotator", "project"],
                condition=Q(state="active"),
                name="lease_one_active_per_project",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "expires_at"], condition=Q(state="active"), name="lease_active_idx"),
        ]

    def __str__(self) -> str:
        return f"lease {self.pk} ({self.state})"


class Skip(models.Model):
    """An annotator passed on an item, with a reason; it is never served to them again."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="skips", db_index=False)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skips", db_index=False
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="skip_one_per_annotator"),
        ]
        indexes = [models.Index(fields=["annotator"], name="skip_by_annotator_idx")]


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    format = models.CharField(max_length=10)
    source_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500, blank=True)
    stage = models.CharField(max_length=20, blank=True)
    rows_seen = models.PositiveBigIntegerField(default=0)
    created_count = models.PositiveBigIntegerField(default=0)
    updated_count = models.PositiveBigIntegerField(default=0)
    skipped_count = models.PositiveBigIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"


class ImportRow(models.Model):
    """The shape of an import's staging rows. Each job stages into a table of its own created from
    this one's columns (annotation/importing/store.py); this table itself stays empty."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    line = models.PositiveIntegerField()
    external_id = models.CharField(max_length=255)
    text_sealed = models.BinaryField(default=b"")
    text_redacted = models.TextField(blank=True)
    text_pseudonymized = models.TextField(blank=True)
    media = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict)
    source_system = models.CharField(max_length=100, blank=True)
    jurisdiction = models.CharField(max_length=16, blank=True)
    allowed_purposes = models.JSONField(default=list)
    content_hash = models.CharField(max_length=64)
    priority = models.IntegerField(default=0)
    is_gold = models.BooleanField(default=False)
    reference = models.JSONField(null=True)
    pinned_vendor_id = models.BigIntegerField(null=True)
    internal_only = models.BooleanField(default=False)
