"""Moderation: versioned policy taxonomies, cases and their leases, decisions, appeals, QA, reviewer
wellness (exposure and breaks) and enforcement webhooks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotation.models import Item, Project
from privacy.content import open_secret, seal_secret
from workforce.models import Organization, Vendor

from . import state as sm


class Tier(models.IntegerChoices):
    L1 = 1, "L1 (vendor)"
    L2 = 2, "L2 (internal)"
    SPECIALIST = 3, "Policy specialist"


class CaseState(models.TextChoices):
    OPEN = sm.OPEN, "Open"
    IN_REVIEW = sm.IN_REVIEW, "In review"
    ESCALATED = sm.ESCALATED, "Escalated"
    DECIDED = sm.DECIDED, "Decided"
    APPEALED = sm.APPEALED, "Appealed"


assert tuple(s.value for s in CaseState) == sm.STATES

# States a claim may take a case from (plus in_review whose lease ran out), as SQL and as a Q.
QUEUE_STATES = (*sm.WAITING, sm.IN_REVIEW)
_IN_QUEUE = Q(state__in=QUEUE_STATES)


class ReviewSettings(models.Model):
    """An organization's review settings; rows are created lazily from ``review.conf`` defaults."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="review_settings")
    exposure_caps = models.JSONField(default=dict, blank=True, help_text='Daily cases per reviewer, {"S1": 60}.')
    severe_severity = models.PositiveSmallIntegerField(default=3, help_text="Severity counted as severe.")
    break_after = models.PositiveSmallIntegerField(default=25, help_text="Severe cases before a break; 0: none.")
    break_minutes = models.PositiveSmallIntegerField(default=15)
    qa_sample_rate = models.FloatField(default=0.05)
    qa_sla_minutes = models.PositiveIntegerField(default=72 * 60)
    lease_seconds = models.PositiveIntegerField(default=600)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "review settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(qa_sample_rate__gte=0) & Q(qa_sample_rate__lte=1), name="review_qa_rate_range"
            ),
            models.CheckConstraint(condition=Q(severe_severity__gte=1) & Q(severe_severity__lte=4),
                                   name="review_severe_range"),
            models.CheckConstraint(condition=Q(lease_seconds__gte=30), name="review_lease_min"),
        ]


class PolicyVersion(models.Model):
    """One immutable version of an organization's policy: its categories and SLA by severity.
    Editing the policy publishes a new version; decisions keep the version they were made under."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="policy_versions",
                                     db_index=False)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    sla_minutes = models.JSONField(help_text='Minutes to decide, by severity: {"4": 60, "3": 240, ...}.')
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="policy_unique_version"),
            models.UniqueConstraint(fields=["organization"], condition=Q(active=True), name="policy_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PolicyCategory(models.Model):
    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="categories", db_index=False)
    code = models.CharField(max_length=16)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    warning = models.TextField(blank=True, help_text="Shown to reviewers before the content.")
    min_tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.L1)
    graphic = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="policy_category_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ReviewerProfile(models.Model):
    """The highest tier an internal reviewer works. Without a row: internal reviewers L2, admins
    specialist. Vendor reviewers work L1 whatever a row says (``review.selectors.reviewer_tier``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.L2)


class CaseSource(models.TextChoices):
    USER_REPORT = "user_report", "User report"
    MODEL_TRIAGE = "model_triage", "Model triage"
    ANNOTATOR_ESCALATION = "annotator_escalation", "Annotator escalation"
    APPEAL = "appeal", "Appeal"
    QA_SAMPLE = "qa_sample", "QA sample"


class Case(models.Model):
    """A content item under review. ``urgency_key`` orders the queue (review/urgency.py); the
    reviewer holding it is ``assignee`` until ``leased_until``, mirrored by an active CaseLease."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="review_cases", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="review_cases")
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="cases", db_index=False)
    source = models.CharField(max_length=24, choices=CaseSource.choices)
    category = models.CharField(max_length=16)
    severity = models.PositiveSmallIntegerField()
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.L1)
    state = models.CharField(max_length=12, choices=CaseState.choices, default=CaseState.OPEN)
    due_at = models.DateTimeField()
    urgency_key = models.DateTimeField()
    report_count = models.PositiveIntegerField(default=1)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    note = models.TextField(blank=True)
    external_ref = models.CharField(max_length=255, blank=True)
    triage_score = models.FloatField(null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", db_index=False)
    leased_until = models.DateTimeField(null=True, blank=True)
    queued_as = models.CharField(max_length=12, choices=CaseState.choices, blank=True,
                                 help_text="The state the current holder claimed it from; release returns it.")
    excluded_reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                          blank=True, related_name="+", db_index=False,
                                          help_text="Never served to this reviewer (appeals, QA).")
    qa_of = models.ForeignKey("Decision", on_delete=models.CASCADE, null=True, blank=True, related_name="qa_cases")
    final_action = models.CharField(max_length=12, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    auto_closed = models.BooleanField(
        default=False,
        help_text="Its final decision is the triage model's (no person reviewed it); cleared when a person decides.",
    )
    breach_escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1) & Q(severity__lte=4), name="case_severity_range"),
            models.CheckConstraint(condition=Q(tier__gte=1) & Q(tier__lte=3), name="case_tier_range"),
            models.CheckConstraint(condition=~Q(state=sm.IN_REVIEW) | Q(assignee__isnull=False),
                                   name="case_in_review_has_assignee"),
            models.CheckConstraint(condition=Q(source="qa_sample", qa_of__isnull=False)
                                   | (~Q(source="qa_sample") & Q(qa_of__isnull=True)), name="case_qa_has_origin"),
        ]
        indexes = [
            # The claim walks this in key order from the organization's most urgent case.
            models.Index(fields=["organization", "urgency_key", "id"], condition=_IN_QUEUE, name="case_queue_idx"),
            # SLA breaches not yet escalated, for the beat task.
            models.Index(fields=["due_at"], condition=_IN_QUEUE & Q(breach_escalated_at__isnull=True),
                         name="case_breach_idx"),
            models.Index(fields=["organization", "-id"], name="case_org_idx"),
            # The console's "auto-closed" filter and the triage report's model figures.
            models.Index(fields=["organization", "-id"], condition=Q(auto_closed=True), name="case_auto_closed_idx"),
        ]

    def __str__(self) -> str:
        return f"case {self.pk} ({self.category} sev{self.severity}, {self.state})"


class LeaseState(models.TextChoices):
    ACTIVE = "active", "Active"
    DONE = "done", "Done"  # its holder decided or escalated the case
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


class CaseLease(models.Model):
    """A reviewer holds a case until ``expires_at``; heartbeats extend it. A reviewer holds at most
    one case at a time, which also serializes one person's concurrent claims."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="leases")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               db_index=False)
    state = models.CharField(max_length=10, choices=LeaseState.choices, default=LeaseState.ACTIVE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reviewer"], condition=Q(state="active"), name="case_lease_one_active"),
        ]


class CaseEvent(models.Model):
    """The case's audit trail: every transition and lease change, who and when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()


class DecisionAction(models.TextChoices):
    ALLOW = "allow", "Allow"
    REMOVE = "remove", "Remove"
    RESTRICT = "restrict", "Restrict / age-gate"
    ESCALATE = "escalate", "Escalate"


FINAL_ACTIONS = (DecisionAction.ALLOW, DecisionAction.REMOVE, DecisionAction.RESTRICT)


class DecisionKind(models.TextChoices):
    REVIEW = "review", "Review"
    APPEAL = "appeal", "Appeal re-review"
    QA = "qa", "QA re-review"
    MODEL = "model", "Model auto-close"


class Decision(models.Model):
    """A reviewer's decision on a case, or (``kind`` model) the triage model's auto-close: then
    ``reviewer`` is empty and ``model_version`` and ``model_detail`` (score, thresholds and the
    routing config in force) say what decided it. Model decisions are never a person's label: SLA,
    QA and appeal figures per reviewer leave them out, and the triage report does not learn from them."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="decisions", db_index=False)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", db_index=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               db_index=False)
    kind = models.CharField(max_length=8, choices=DecisionKind.choices, default=DecisionKind.REVIEW)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    action = models.CharField(max_length=12, choices=DecisionAction.choices)
    policy_codes = models.JSONField(default=list, blank=True)
    rationale = models.TextField(blank=True)
    time_spent_ms = models.PositiveIntegerField(default=0)
    # The case's SLA when it was decided: SLA compliance is read from decisions.
    due_at = models.DateTimeField()
    within_sla = models.BooleanField()
    client_key = models.CharField(max_length=64, blank=True)
    model_version = models.CharField(max_length=200, blank=True, help_text="The model that decided; empty: a person.")
    model_detail = models.JSONField(default=dict, blank=True,
                                    help_text="Score, category, thresholds and routing config the model decided by.")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # A retried decide carries the same key and is recorded once.
            models.UniqueConstraint(fields=["reviewer", "client_key"], condition=~Q(client_key=""),
                                    name="decision_unique_client_key"),
            # Exactly one of a person and a model made every decision.
            models.CheckConstraint(
                condition=(Q(kind="model", reviewer__isnull=True) & ~Q(model_version=""))
                | (~Q(kind="model") & Q(reviewer__isnull=False, model_version="")),
                name="decision_by_person_or_model",
            ),
        ]
        indexes = [
            models.Index(fields=["reviewer", "-created_at"], name="decision_by_reviewer_idx"),
            models.Index(fields=["vendor", "-created_at"], name="decision_by_vendor_idx"),
        ]

    def __str__(self) -> str:
        return f"decision {self.pk}: {self.action}"

    @property
    def by_model(self) -> bool:
        return self.kind == DecisionKind.MODEL


class AppealState(models.TextChoices):
    PENDING = "pending", "Pending"
    UPHELD = "upheld", "Upheld"
    OVERTURNED = "overturned", "Overturned"


class Appeal(models.Model):
    """An appeal of one decision, re-reviewed by a different reviewer of the same or a higher tier."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="appeals")
    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="appeal")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    reason = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=AppealState.choices, default=AppealState.PENDING)
    resolution = models.OneToOneField(Decision, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="resolved_appeal")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(state="pending"), name="appeal_one_pending"),
        ]


class QAReview(models.Model):
    """A blind re-review of a sampled decision and how well the two agree."""

    qa_case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="qa_review")
    original = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="qa_reviews")
    qa_decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="+")
    # Empty when the original was the triage model's auto-close.
    original_reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="+", db_index=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               db_index=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    category = models.CharField(max_length=16)
    action_agrees = models.BooleanField()
    code_agreement = models.FloatField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at"], name="qa_by_org_idx")]


class ExposureDay(models.Model):
    """How many cases of a category a reviewer was served on a day (UTC). The claim reads it to
    enforce the organization's daily caps and bumps it in the same statement."""

    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               db_index=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    category = models.CharField(max_length=16)
    items = models.PositiveIntegerField(default=0)
    severe = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "day", "category"], name="exposure_unique_day"),
        ]
        indexes = [models.Index(fields=["organization", "day"], name="exposure_by_org_day_idx")]


class ReviewerWellness(models.Model):
    """Severe cases served since the last break, and the break a reviewer is on."""

    reviewer = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    severe_streak = models.PositiveIntegerField(default=0)
    last_severe_at = models.DateTimeField(null=True, blank=True)
    break_until = models.DateTimeField(null=True, blank=True)


class WellnessBreak(models.Model):
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    vendor = models.ForeignKey(Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               db_index=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    after_items = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["organization", "started_at"], name="break_by_org_idx")]


class WebhookEndpoint(models.Model):
    """Where decisions are sent: one active endpoint per project, or per organization as fallback."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                db_index=False)
    url = models.URLField(max_length=500)
    # The HMAC key must be readable to sign with, so it cannot be hashed: it is sealed with the content
    # key ring (privacy.content) and shown to the admin once. ``secret`` reads and writes it.
    secret_sealed = models.BinaryField(default=b"", editable=False)
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def secret(self) -> str:
        return open_secret(self.secret_sealed, purpose="webhook")

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_sealed = seal_secret(value, purpose="webhook")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "project"],
                                    condition=Q(active=True, project__isnull=False), name="webhook_one_per_project"),
            models.UniqueConstraint(fields=["organization"], condition=Q(active=True, project__isnull=True),
                                    name="webhook_one_per_org"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1) & Q(max_attempts__lte=20),
                                   name="webhook_attempts_range"),
        ]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead letter"


class WebhookDelivery(models.Model):
    """One decision sent to one endpoint: the exact body, its idempotency key (the same on every
    attempt) and where the attempts stand."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    decision = models.ForeignKey(Decision, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="webhook_deliveries")
    event = models.CharField(max_length=40)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True, help_text="An attempt is in flight until then.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    dead_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "decision"], name="webhook_one_delivery_per_decision"),
        ]
        indexes = [
            models.Index(fields=["organization", "-id"], condition=Q(status="dead"), name="webhook_dead_idx"),
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_pending_idx"),
        ]


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_unique_number")]
