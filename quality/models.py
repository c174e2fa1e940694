"""Quality state and rollups: per-project settings, annotator standing, daily counters, agreement
counts, adjudication cases, billing statements.

Rollups are keyed by (project, vendor or annotator, day) and only ever incremented by the submit
path and the folds in ``services``; the dashboard and scorecards read them and nothing else.
``vendor_key`` is the vendor id, or 0 for internal staff (NULL cannot take part in a unique key).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotation.models import Project
from workforce.models import Vendor


def empty_hist() -> list[int]:
    return []


class QualityConfig(models.Model):
    """A project's quality rules. A project without a row uses the defaults below."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True, related_name="quality")
    ordinal = models.BooleanField(default=False, help_text="Labels form an ordered scale (interval alpha too).")
    pause_below = models.FloatField(default=0.7, help_text="Gold accuracy under which an annotator is paused.")
    min_gold = models.PositiveIntegerField(default=10, help_text="Gold answers seen before pausing applies.")
    qualification_items = models.PositiveIntegerField(
        default=0, help_text="Gold items an annotator answers before working the project (0: none)."
    )
    qualification_pass = models.FloatField(default=0.8)
    adjudicate = models.BooleanField(default=True, help_text="Route items without agreement to adjudication.")
    adaptive_overlap = models.BooleanField(
        default=False, help_text="Set each item's overlap from agreement on its labels (between min and max)."
    )
    min_overlap = models.PositiveSmallIntegerField(default=1)
    max_overlap = models.PositiveSmallIntegerField(default=5)
    low_agreement = models.FloatField(default=0.667)
    high_agreement = models.FloatField(default=0.8)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(pause_below__gte=0) & Q(pause_below__lte=1), name="quality_pause_range"),
            models.CheckConstraint(
                condition=Q(qualification_pass__gte=0) & Q(qualification_pass__lte=1), name="quality_pass_range"
            ),
        ]


class AnnotatorStanding(models.Model):
    """An annotator in a project: gold record, qualification and pause."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    gold_seen = models.PositiveIntegerField(default=0)
    gold_correct = models.PositiveIntegerField(default=0)
    qualified = models.BooleanField(default=False)
    qualification_failed = models.BooleanField(default=False)
    paused = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "annotator"], name="standing_unique"),
        ]


class Notice(models.Model):
    """A message to a vendor's managers (e.g. an annotator was paused)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=32)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["vendor", "-created_at"], name="notice_by_vendor_idx")]


class SubmissionRecord(models.Model):
    """One submitted annotation as the rollups counted it: makes ``record_submission`` idempotent
    (keyed by annotation id) and lets a rejection or retraction take back exactly what was added.
    No foreign key to the annotation: an undone annotation is deleted, its record stays for reversal."""

    annotation_id = models.BigIntegerField(primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    item_id = models.BigIntegerField()
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    vendor_key = models.BigIntegerField()
    day = models.DateField()
    handling_ms = models.PositiveIntegerField()
    is_gold = models.BooleanField()
    gold_correct = models.BooleanField(default=False)
    rejected = models.BooleanField(default=False)
    retracted = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["item_id"], name="record_by_item_idx"),
            models.Index(fields=["vendor_key", "day"], name="record_by_vendor_day_idx"),
        ]


class _DayCounters(models.Model):
    day = models.DateField()
    # Signed: an upsert's proposed row carries the delta (negative for a retraction), and PostgreSQL
    # checks constraints on it before it finds the conflicting row.
    submitted = models.IntegerField(default=0)
    gold_seen = models.IntegerField(default=0)
    gold_correct = models.IntegerField(default=0)
    handling_ms = models.BigIntegerField(default=0)
    rejected = models.IntegerField(default=0)
    rejected_ms = models.BigIntegerField(default=0)
    # Handling-time histogram (``metrics.hist_bucket``): medians without keeping every value.
    hist = models.JSONField(default=empty_hist)

    class Meta:
        abstract = True


class VendorDay(_DayCounters):
    # The project's organization, copied here so a dashboard read is one index range, no join.
    organization_id = models.BigIntegerField()
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    vendor_key = models.BigIntegerField()
    # A vendor's day is split over a few rows (by annotator, ``rollups.VENDOR_SHARDS``): every submission
    # of the vendor's people bumps its row inside the submit's transaction, and one row would serialize
    # them all on its lock. Readers sum the rows, as they sum days.
    shard = models.SmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "vendor_key", "day", "shard"], name="vendorday_unique_shard")
        ]
        indexes = [
            models.Index(fields=["organization_id", "vendor_key", "day"], name="vendorday_by_vendor_idx"),
            models.Index(fields=["organization_id", "day"], name="vendorday_by_day_idx"),
        ]


class AnnotatorDay(_DayCounters):
    organization_id = models.BigIntegerField()
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    vendor_key = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "annotator", "day"], name="annotatorday_unique")]
        indexes = [
            models.Index(fields=["organization_id", "vendor_key", "day"], name="annotatorday_by_vendor_idx"),
            models.Index(fields=["organization_id", "day"], name="annotatorday_by_day_idx"),
        ]


class SlaDay(models.Model):
    """Review decisions per vendor and day, folded from ``review.Decision`` past a watermark."""

    organization_id = models.BigIntegerField()
    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    vendor_key = models.BigIntegerField()
    day = models.DateField()
    decided = models.PositiveIntegerField(default=0)
    within_sla = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization_id", "vendor_key", "day"], name="sladay_unique")]


class Watermark(models.Model):
    name = models.CharField(max_length=64, primary_key=True)
    last_id = models.BigIntegerField(default=0)


class AgreementScope(models.TextChoices):
    PROJECT = "project", "Project"
    VENDOR = "vendor", "Vendor"


class AgreementCell(models.Model):
    """Agreement counts of a project (or one vendor's annotators in it) on one dimension: ``""`` is
    the whole answer, ``label:X`` is label X chosen or not. Fleiss' kappa and Krippendorff's alpha are read
    from these counts (``quality.metrics``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    scope = models.CharField(max_length=8, choices=AgreementScope.choices)
    vendor_key = models.BigIntegerField(default=0)
    dimension = models.CharField(max_length=80)
    units = models.FloatField(default=0)
    sum_p = models.FloatField(default=0)
    totals = models.JSONField(default=dict)
    coincidence = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "scope", "vendor_key", "dimension"], name="agreement_unique")
        ]


class AnnotatorPairs(models.Model):
    """An annotator's answers against every other annotator's on the same items (``"mine|theirs"``):
    Cohen's kappa of the annotator against their peers."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    vendor_key = models.BigIntegerField()
    pairs = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "annotator"], name="pairs_unique")]


class ItemAgreement(models.Model):
    """The values of an item already counted into the agreement cells, so a later annotation (or a
    recount) replaces the item's contribution exactly: ``[[annotation id, annotator id, vendor key,
    labels], ...]``."""

    item_id = models.BigIntegerField(primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    values = models.JSONField(default=list)


class AgreementDirty(models.Model):
    """An item whose answers changed since its agreement contribution was last counted."""

    item_id = models.BigIntegerField(primary_key=True)
    project_id = models.BigIntegerField()


class AdjudicationState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Adjudication(models.Model):
    """An item whose annotators disagreed, for a senior annotator or reviewer to settle."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    item_id = models.BigIntegerField(unique=True)
    state = models.CharField(max_length=10, choices=AdjudicationState.choices, default=AdjudicationState.OPEN)
    answers = models.JSONField(default=list, help_text="[[annotation id, annotator id, labels], ...]")
    resolved_labels = models.JSONField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "id"], condition=Q(state="open"), name="adjudication_open_idx")]


class BillingBasis(models.TextChoices):
    TASK = "task", "Per task"
    HOUR = "hour", "Per tracked hour"


class StatementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"


class Statement(models.Model):
    """What a vendor is owed for a period [start, end] (days, inclusive). Locked once approved."""

    organization_id = models.BigIntegerField()
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    basis = models.CharField(max_length=8, choices=BillingBasis.choices)
    rate = models.DecimalField(max_digits=10, decimal_places=4)
    currency = models.CharField(max_length=3)
    submitted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    status = models.CharField(max_length=10, choices=StatementStatus.choices, default=StatementStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="statement_period"),
            # One approved statement per vendor and period.
            models.UniqueConstraint(
                fields=["vendor", "period_start", "period_end"],
                condition=Q(status="approved"),
                name="statement_one_approved",
            ),
        ]


class StatementLine(models.Model):
    """One project's work in a statement: submitted - rejected = billed units x rate."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+", db_index=False)
    project_name = models.CharField(max_length=200)
    submitted = models.PositiveIntegerField()
    rejected = models.PositiveIntegerField()
    handling_ms = models.BigIntegerField()
    rejected_ms = models.BigIntegerField()
    quantity = models.DecimalField(max_digits=14, decimal_places=4, help_text="Tasks or hours billed.")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
