"""Snapshots (immutable, content-addressed exports), their lineage, adjudications and erasures."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotation.models import Item, Project
from workforce.models import Organization


class SnapshotStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Strategy(models.TextChoices):
    MAJORITY = "majority", "Majority vote"
    WEIGHTED = "weighted", "Weighted by annotator quality"
    DAWID_SKENE = "dawid_skene", "Dawid-Skene"


class TextLevel(models.TextChoices):
    RESTRICTED = "restricted", "Redacted (type placeholders)"
    STANDARD = "standard", "Pseudonymized"
    RAW = "raw", "Raw (audited)"


class ExportFormat(models.TextChoices):
    JSONL = "jsonl", "JSON lines"
    CHAT = "chat", "Chat SFT JSON lines"
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"
    HF = "hf", "Hugging Face datasets folder (tar)"
    CONLL = "conll", "CoNLL (spans)"
    LABELSTUDIO = "labelstudio", "Label Studio JSON"


# Fields fixed once a snapshot is ready; a PostgreSQL trigger (migration 0002) enforces it too.
IMMUTABLE_FIELDS = (
    "project_id",
    "format",
    "strategy",
    "level",
    "filters",
    "split",
    "sha256",
    "file_name",
    "size_bytes",
    "row_count",
    "counts",
    "code_version",
)


class Snapshot(models.Model):
    """One export of a project's resolved labels. Once ``ready`` its file and figures never change;
    the file is named by its sha256, so the same data gives the same file."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=SnapshotStatus.choices, default=SnapshotStatus.QUEUED)
    format = models.CharField(max_length=12, choices=ExportFormat.choices, default=ExportFormat.JSONL)
    strategy = models.CharField(max_length=12, choices=Strategy.choices, default=Strategy.MAJORITY)
    level = models.CharField(max_length=10, choices=TextLevel.choices, default=TextLevel.RESTRICTED)
    reason = models.CharField(max_length=500, blank=True, help_text="Why raw text was needed (audited).")
    filters = models.JSONField(default=dict, blank=True)
    split = models.JSONField(default=dict, blank=True, help_text="Shares per split: train/validation/test.")
    code_version = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    file_name = models.CharField(max_length=120, blank=True, help_text="Relative to QUORUM['SNAPSHOT_DIR'].")
    size_bytes = models.PositiveBigIntegerField(default=0)
    row_count = models.PositiveBigIntegerField(default=0)
    # Rows per split and items left out, by reason (purpose, jurisdiction, erased, unlabeled, filters).
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # Erasure marks: items of this snapshot deleted since (data subjects' requests).
    erased_items = models.PositiveIntegerField(default=0)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-id"], name="snapshot_org_idx"),
            models.Index(fields=["sha256"], name="snapshot_sha_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(sha256__regex=r"^[0-9a-f]{64}$") & ~Q(file_name="")),
                name="snapshot_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"snapshot {self.pk} ({self.status})"


class SnapshotRange(models.Model):
    """Lineage, compactly: the snapshot holds every item whose id is in ``first_id..last_id``.

    Runs of consecutive item ids collapse into one row (bulk imports make long runs), so a million
    items usually cost a handful of rows; the worst case is one row per item. Item ids are plain
    integers, not foreign keys: lineage outlives an erased item.
    """

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="ranges", db_index=False)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["snapshot", "first_id"], name="snaprange_snapshot_idx"),
            models.Index(fields=["first_id", "last_id"], name="snaprange_item_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(last_id__gte=models.F("first_id")), name="snaprange_order")]


class Adjudication(models.Model):
    """A final answer for an item decided by an internal adjudicator; it overrides the votes."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="adjudication")
    labels = models.JSONField(default=list, blank=True)
    spans = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class Erasure(models.Model):
    """An item deleted on a data subject's request. The external id is kept only as a sha256, so
    a re-import of the same record is still left out of future snapshots."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    item_id = models.BigIntegerField(unique=True)
    external_id_hash = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(max_length=500)
    # Snapshot ids and model version ids that had used the item when it was erased.
    affected = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project", "external_id_hash"], name="erasure_lookup_idx")]


class FineTuneStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class FineTuneJob(models.Model):
    """One fine-tuning run: a snapshot and a parent version in, a staged version out
    (training_export/finetune/jobs.py runs it on the ``training`` queue)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200, help_text="The model version the job registers.")
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="finetune_jobs")
    parent = models.ForeignKey(
        "inference.ModelVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    project = models.ForeignKey(Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    labels = models.JSONField(default=list)
    instruction = models.TextField(blank=True)
    config = models.JSONField(default=dict, blank=True)
    auto_promote_margin = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=FineTuneStatus.choices, default=FineTuneStatus.QUEUED)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    loss = models.FloatField(null=True, blank=True)
    loss_history = models.JSONField(default=list, blank=True, help_text="[[step, loss], ...] for the loss curve")
    eta_seconds = models.FloatField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Runs started (each claim counts one): a job whose worker dies every time (out of memory, say)
    # is failed after QUORUM JOB_MAX_ATTEMPTS instead of re-queued forever (training_export/recovery.py).
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    result = models.ForeignKey(
        "inference.ModelVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name"], name="finetune_job_unique_name")]
