"""Moderation triage: score cases' items against the policy's categories, set score, severity and
queue priority, and route them by the project's thresholds (``TriageConfig``).

The model reads the restricted view only (``annotation.suggestions.texts_for_model``) and answers
two questions, each calibrated against its prior on content-free inputs: safe or unsafe (the score),
and which policy category (labels are the category names, the instruction lists their
descriptions). Arithmetic lives in ``triage_rules``. Each triage is recorded on the case as a ``triaged`` event that
keeps the per-category probabilities, the model version and the route; a case is triaged once per
model version, and escalated by triage at most once.

Routing: above ``escalate_above`` a waiting case moves up a tier (as the system, like an SLA breach).
Below ``auto_close_below`` an open case is closed by the model (``review.services.auto_close``: a
Decision of kind ``model`` naming this model version and the config in force, sampled for QA at
``auto_close_qa_rate``), but only while the project's ``auto_close`` is on; off, the route is only
recorded (a shadow run: the dry run shows what turning it on would do).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotation import selectors as annotation_selectors
from annotation.suggestions import texts_for_model
from review.events import publish_case_event
from review.models import Case, CaseEvent, PolicyVersion, Tier
from review.services.auto_close import case_auto_close
from review.services.lifecycle import record, schedule, transition
from review.services.policy import policy_categories
from review.state import ESCALATED, OPEN, WAITING
from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role

from .models import ModelVersion, ProjectModel, TriageConfig
from .serving import layout_for, predict
from .triage_rules import (
    AUTO_CLOSE,
    ESCALATE,
    InvalidThresholds,
    Triage,
    check_routing,
    combined,
    contextual_calibration,
    route,
    severity_for,
    severity_thresholds,
    triage_from,
)

log = logging.getLogger(__name__)

SAFETY_INSTRUCTION = (
    "You are a content moderator. Is this text safe or unsafe? Unsafe text threatens, harasses, demeans, "
    "or encourages violence, crime, self-harm or abuse."
)
UNSAFE = "unsafe"
SAFETY_LABELS = ("safe", UNSAFE)
# Content-free inputs that measure the model's prior for a question (contextual calibration).
NULL_TEXTS = ("N/A", "", "[MASK]")
TRIAGED = "triaged"
TRIAGE_ESCALATED = "triage_escalated"


@dataclass(frozen=True)
class CategoryLabel:
    code: str
    name: str
    description: str


def triage_prompt(categories: Sequence[CategoryLabel]) -> tuple[str, list[str], dict[str, str]]:
    """The category question's instruction, its labels (the category names) and label → code."""
    to_code: dict[str, str] = {}
    lines = []
    for c in categories:
        # Names label the answer; a missing or repeated name falls back to "code name".
        label = c.name if c.name and c.name not in to_code else f"{c.code} {c.name}"
        to_code[label] = c.code
        lines.append(f"- {label}: {c.description}")
    instruction = "You are a content moderator. Which policy category does the text violate?\n" + "\n".join(lines)
    return instruction, list(to_code), to_code


def _calibrated_predict(
    version: ModelVersion,
    *,
    instruction: str,
    labels: Sequence[str],
    texts: Sequence[str],
    max_item_tokens: int | None,
) -> list[dict[str, float]]:
    """Distributions for ``texts`` divided by the model's prior for the question, measured on
    content-free inputs asked the same way (``triage_rules.contextual_calibration``)."""
    predictions = predict(
        version,
        instruction=instruction,
        labels=labels,
        texts=[*texts, *NULL_TEXTS],
        max_item_tokens=max_item_tokens,
        layout=layout_for(version),
    )
    nulls = predictions[len(texts) :]
    prior = {label: sum(p.scores[label] for p in nulls) / len(nulls) for label in labels}
    return [contextual_calibration(p.scores, prior) for p in predictions[: len(texts)]]


def triage_texts(
    *,
    version: ModelVersion,
    categories: Sequence[CategoryLabel],
    texts: Sequence[str],
    thresholds: dict[int, float] | None = None,
    max_item_tokens: int | None = None,
) -> list[Triage]:
    """Two questions per text: safe or unsafe (the score), and which category (given unsafe).
    One question over the categories plus a benign label was tried first and ranked benign texts
    as high as violent ones: the bundled model's prior puts most mass on the 14 categories."""
    if not texts:
        return []
    safety = _calibrated_predict(
        version, instruction=SAFETY_INSTRUCTION, labels=SAFETY_LABELS, texts=texts, max_item_tokens=max_item_tokens
    )
    instruction, labels, to_code = triage_prompt(categories)
    kinds = _calibrated_predict(
        version, instruction=instruction, labels=labels, texts=texts, max_item_tokens=max_item_tokens
    )
    return [
        triage_from(combined(unsafe=s[UNSAFE], categories={to_code[k]: v for k, v in kind.items()}), thresholds)
        for s, kind in zip(safety, kinds, strict=True)
    ]


def _categories(policy: PolicyVersion) -> list[CategoryLabel]:
    return [CategoryLabel(c.code, c.name, c.description) for c in policy_categories(policy).values()]


# --- thresholds -----------------------------------------------------------------------------------


DEFAULT_AUTO_CLOSE_QA_RATE = 0.1


@dataclass(frozen=True)
class Routing:
    auto_close_below: float | None
    escalate_above: float | None
    severity_thresholds: dict[int, float]
    auto_close: bool = False  # act on the auto-close route; off, it is only recorded
    auto_close_qa_rate: float = DEFAULT_AUTO_CLOSE_QA_RATE
    config_id: int | None = None
    config_updated_at: str | None = None

    @property
    def closing_below(self) -> float | None:
        """The threshold below which cases are actually closed now (None: none are)."""
        return self.auto_close_below if self.auto_close else None

    def audit(self) -> dict[str, Any]:
        """The routing config in force, as kept on a model decision."""
        return {
            "config": self.config_id,
            "config_updated_at": self.config_updated_at,
            "auto_close_below": self.auto_close_below,
            "escalate_above": self.escalate_above,
            "auto_close_qa_rate": self.auto_close_qa_rate,
        }


def routing_for(*, project_id: int) -> Routing:
    config = TriageConfig.objects.filter(project_id=project_id).first()
    if config is None:
        return Routing(None, None, severity_thresholds(None))
    return Routing(
        config.auto_close_below,
        config.escalate_above,
        severity_thresholds(config.severity_thresholds),
        auto_close=config.auto_close and config.auto_close_below is not None,
        auto_close_qa_rate=config.auto_close_qa_rate,
        config_id=config.pk,
        config_updated_at=config.updated_at.isoformat(),
    )


def check_triage_config(*, actor: Actor, project_id: int) -> None:
    require_role(actor, Role.ADMIN)
    if not actor.is_internal:
        raise AccessDenied("Only internal admins set triage thresholds.")
    annotation_selectors.project_get(actor, project_id)  # raises AccessDenied: not theirs


def triage_config_set(
    *,
    actor: Actor,
    project_id: int,
    auto_close_below: float | None,
    escalate_above: float | None,
    severity_thresholds_raw: dict[str, Any] | None = None,
    auto_close: bool = False,
    auto_close_qa_rate: float = DEFAULT_AUTO_CLOSE_QA_RATE,
) -> TriageConfig:
    """Set a project's routing (None turns a route off). ``auto_close`` acts on the auto-close route;
    off (the default), it is only recorded. Raises InvalidThresholds."""
    check_triage_config(actor=actor, project_id=project_id)
    check_routing(auto_close_below, escalate_above)
    if auto_close and auto_close_below is None:
        raise InvalidThresholds("auto_close", "Auto-close needs an auto_close_below threshold.")
    if not 0.0 <= auto_close_qa_rate <= 1.0:
        raise InvalidThresholds("auto_close_qa_rate", "The QA rate is a share, 0 to 1.")
    steps = severity_thresholds(severity_thresholds_raw)  # validates; stored as given
    config, _ = TriageConfig.objects.update_or_create(
        project_id=project_id,
        defaults={
            "auto_close_below": auto_close_below,
            "escalate_above": escalate_above,
            "severity_thresholds": {str(k): v for k, v in steps.items()} if severity_thresholds_raw else {},
            "auto_close": auto_close,
            "auto_close_qa_rate": auto_close_qa_rate,
        },
    )
    return config


# --- triage cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageRun:
    triaged: int
    escalated: int
    skipped: int  # no model for the project, or already triaged by this version
    auto_closed: int = 0


def triage_cases(*, case_ids: Sequence[int]) -> TriageRun:
    """Triage the cases not yet triaged by their project's model version. Idempotent."""
    cases = list(Case.objects.filter(pk__in=case_ids).select_related("policy").order_by("pk"))
    configs = {
        c.project_id: c
        for c in ProjectModel.objects.select_related("model_version").filter(
            project_id__in={case.project_id for case in cases}
        )
    }
    groups: dict[tuple[int, int], list[Case]] = {}
    skipped = len(set(case_ids)) - len(cases)
    for case in cases:
        config = configs.get(case.project_id)
        if config is None or _triaged_by(case.pk, config.model_version.name):
            skipped += 1
            continue
        groups.setdefault((case.project_id, case.policy_id), []).append(case)
    triaged = escalated = auto_closed = 0
    for (project_id, _), members in groups.items():
        config = configs[project_id]
        routing = routing_for(project_id=project_id)
        texts = texts_for_model(item_ids=[c.item_id for c in members])
        group = [c for c in members if c.item_id in texts]
        if not group:
            continue
        results = triage_texts(
            version=config.model_version,
            categories=_categories(group[0].policy),
            texts=[texts[c.item_id] for c in group],
            thresholds=routing.severity_thresholds,
            max_item_tokens=config.max_item_tokens,
        )
        for case, result in zip(group, results, strict=True):
            outcome = triage_apply(
                case_id=case.pk, triage=result, model_version=config.model_version.name, routing=routing
            )
            triaged += outcome is not None
            escalated += outcome == ESCALATE
            auto_closed += outcome == AUTO_CLOSED
    return TriageRun(triaged=triaged, escalated=escalated, skipped=skipped, auto_closed=auto_closed)


def _triaged_by(case_id: int, version: str) -> bool:
    return CaseEvent.objects.filter(case_id=case_id, kind=TRIAGED, detail__model_version=version).exists()


# What triage_apply returns for a case it closed (the route was AUTO_CLOSE and it acted on it).
AUTO_CLOSED = "auto_closed"


@transaction.atomic
def triage_apply(*, case_id: int, triage: Triage, model_version: str, routing: Routing) -> str | None:
    """Store a triage on a case; returns its route (``AUTO_CLOSED`` when it closed the case), or
    None when this version already triaged it.

    The score is always stored (decided cases too: the dry run reads them). Severity only rises, so
    a reporter's severity is never lowered; with it the due time and queue priority move up. Routes
    act only on cases waiting in the queue, never under a reviewer's hands: escalation on waiting
    cases, auto-close (when the project turned it on) on open ones."""
    case = Case.objects.select_for_update(of=("self",)).select_related("policy").filter(pk=case_id).first()
    if case is None or _triaged_by(case_id, model_version):
        return None
    decision = route(triage.score, auto_close_below=routing.auto_close_below, escalate_above=routing.escalate_above)
    fields = ["triage_score", "updated_at"]
    case.triage_score = triage.score
    waiting = case.state in WAITING
    severity = severity_for(triage.score, routing.severity_thresholds)
    if waiting and severity > case.severity:
        due, key = case.due_at, case.urgency_key
        case.severity = severity
        schedule(case, start=case.created_at, policy=case.policy)
        case.due_at, case.urgency_key = min(due, case.due_at), min(key, case.urgency_key)
        fields += ["severity", "due_at", "urgency_key"]
    now = timezone.now()
    record(
        case,
        TRIAGED,
        actor_id=None,
        now=now,
        model_version=model_version,
        score=round(triage.score, 6),
        category=triage.category,
        severity=severity,
        route=decision,
        auto_close=routing.auto_close,
        probabilities={k: round(v, 6) for k, v in triage.probabilities.items()},
    )
    escalate = (
        decision == ESCALATE
        and waiting
        and case.tier < Tier.SPECIALIST
        and not CaseEvent.objects.filter(case_id=case_id, kind=TRIAGE_ESCALATED).exists()
    )
    if escalate:
        transition(
            case,
            ESCALATED,
            kind=TRIAGE_ESCALATED,
            actor_id=None,
            now=now,
            to_tier=case.tier + 1,
            score=round(triage.score, 6),
        )
        case.tier += 1
        fields += ["state", "tier"]
    case.save(update_fields=fields)
    closing_below = routing.closing_below
    if decision == AUTO_CLOSE and closing_below is not None and case.state == OPEN:
        closed = case_auto_close(
            case_id=case.pk,
            model_version=model_version,
            score=triage.score,
            auto_close_below=closing_below,
            qa_sample_rate=routing.auto_close_qa_rate,
            detail={**routing.audit(), "category": triage.category, "severity": severity},
            now=now,
        )
        if closed is not None:
            return AUTO_CLOSED
    publish_case_event(case, "escalated" if escalate else "updated", reason="triage")
    return decision
