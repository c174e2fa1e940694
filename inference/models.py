"""The model registry: GGUF model versions, their lineage and status, and which one serves a project."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from annotation.models import Project


class ModelKind(models.TextChoices):
    BASE = "base", "Base"
    FINE_TUNED = "fine_tuned", "Fine-tuned"


class ModelStatus(models.TextChoices):
    STAGED = "staged", "Staged"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class ModelVersion(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=12, choices=ModelKind.choices)
    # Path relative to the model store (settings.QUORUM["MODEL_DIR"]) or absolute for the shipped base.
    gguf_path = models.CharField(max_length=500)
    quantization = models.CharField(max_length=16)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField(default=0)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    # For fine-tuned versions: the labels and instruction the model was trained to answer.
    labels = models.JSONField(default=list, blank=True)
    instruction = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ModelStatus.choices, default=ModelStatus.STAGED)
    produced_by_job = models.CharField(max_length=100, blank=True, help_text="e.g. finetune:42")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="base") | Q(parent__isnull=False), name="model_finetuned_has_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.quantization})"


class ProjectModel(models.Model):
    """Which model version serves a project, and how its outputs are used."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="model_config")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="projects")
    prelabel = models.BooleanField(default=True, help_text="Pre-label new items on import.")
    auto_accept_threshold = models.FloatField(
        null=True, blank=True, help_text="Confidence above which a suggestion counts as a model annotation."
    )
    temperature = models.FloatField(default=1.0, help_text="Calibration temperature fitted on human labels.")
    ece = models.FloatField(null=True, blank=True, help_text="Expected calibration error after scaling.")
    max_item_tokens = models.PositiveIntegerField(default=384)
    uncertainty_order = models.BooleanField(default=False, help_text="Serve the most uncertain items first.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(auto_accept_threshold__isnull=True)
                | (Q(auto_accept_threshold__gt=0) & Q(auto_accept_threshold__lte=1)),
                name="projectmodel_threshold_range",
            ),
            models.CheckConstraint(condition=Q(temperature__gt=0), name="projectmodel_temperature_positive"),
        ]


class PrelabelRun(models.Model):
    """One batch of pre-labeling: what ran, on how many items, how fast."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prelabel_runs")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    items = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    seconds = models.FloatField(default=0)
    auto_accepted = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)


class TriageConfig(models.Model):
    """A moderation project's triage routing: model scores below ``auto_close_below`` close a case
    without review when ``auto_close`` is on (off: the route is only recorded, a shadow run the dry
    run reads), scores above ``escalate_above`` send it to the next tier; ``severity_thresholds``
    maps a score to a severity ({"4": 0.9, "3": 0.7, "2": 0.4}; empty: ``triage_rules`` defaults).
    ``auto_close_qa_rate`` of the auto-closed cases go to a person's blind QA re-review."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="triage_config")
    auto_close_below = models.FloatField(null=True, blank=True)
    escalate_above = models.FloatField(null=True, blank=True)
    severity_thresholds = models.JSONField(default=dict, blank=True)
    auto_close = models.BooleanField(default=False, help_text="Close cases below auto_close_below (off: record only).")
    auto_close_qa_rate = models.FloatField(default=0.1, help_text="Share of auto-closed cases a person re-reviews.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(auto_close_below__isnull=True)
                | (Q(auto_close_below__gte=0) & Q(auto_close_below__lte=1)),
                name="triage_auto_close_range",
            ),
            models.CheckConstraint(
                condition=Q(escalate_above__isnull=True) | (Q(escalate_above__gte=0) & Q(escalate_above__lte=1)),
                name="triage_escalate_range",
            ),
            models.CheckConstraint(
                condition=Q(auto_close_below__isnull=True)
                | Q(escalate_above__isnull=True)
                | Q(auto_close_below__lt=models.F("escalate_above")),
                name="triage_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(auto_close_qa_rate__gte=0) & Q(auto_close_qa_rate__lte=1), name="triage_qa_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(auto_close=False) | Q(auto_close_below__isnull=False), name="triage_auto_close_threshold"
            ),
        ]
