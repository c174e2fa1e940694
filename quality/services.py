"""Quality writes: recording submissions into the rollups, gold standing with qualification and
automatic pause, rejection and retraction, the claim gate, adjudication, project quality settings.

``record_submission`` runs inside the submit's transaction, so the rollups commit or roll back with
the annotation itself; it is idempotent by annotation id (``SubmissionRecord``) and costs one
statement on PostgreSQL (two more for a gold answer: its reference and the annotator's standing).
Agreement counts are shared by everyone working a project, so a submission only marks its item and
the counts are folded in batches after commit (``agreement.agreement_fold``, a Celery task).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from annotation.models import Annotation, Item, Project
from training_export.services import adjudicate
from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role, User

from . import metrics
from .agreement import mark_dirty
from .events import publish_vendor_event
from .models import (
    Adjudication,
    AdjudicationState,
    AnnotatorStanding,
    Notice,
    QualityConfig,
    SubmissionRecord,
)
from .rollups import bump, organization_of, submission_ctes
from .tasks import kick_agreement_fold


def config_for(project_id: int) -> QualityConfig:
    """The project's quality settings (defaults, unsaved, when it has none)."""
    cfg = QualityConfig.objects.filter(project_id=project_id).first()
    return cfg if cfg is not None else QualityConfig(project_id=project_id)


# --- claims ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimGate:
    """What the queue must do for this annotator: refuse (``refusal`` says why) or serve gold only."""

    refusal: str | None = None
    gold_only: bool = False


# The gate as columns of a row that has the project as ``p``: the queue reads them in the statement that
# reads the project's routes (annotation.queueing.selectors), so a claim pays no extra round trip.
GATE_COLUMNS_SQL = "gc.qualification_items, gs.paused, gs.qualified, gs.qualification_failed, gs.gold_seen"
GATE_JOINS_SQL = """
LEFT JOIN quality_qualityconfig gc ON gc.project_id = p.id
LEFT JOIN quality_annotatorstanding gs ON gs.project_id = p.id AND gs.annotator_id = %(gate_user)s"""

_GATE_SQL = f"SELECT {GATE_COLUMNS_SQL} FROM annotation_project p {GATE_JOINS_SQL} WHERE p.id = %(project)s"


def gate_from_columns(columns: Sequence[Any]) -> ClaimGate:
    """The gate from the five ``GATE_COLUMNS_SQL`` values."""
    qual_items, paused, qualified, failed, gold_seen = columns
    if paused:
        return ClaimGate(
            refusal="You are paused in this project: your answers on quality checks fell below "
            "the project's threshold. Your vendor manager has been notified."
        )
    if qual_items:
        if failed:
            return ClaimGate(refusal="You did not pass this project's qualification test.")
        if not qualified and int(gold_seen or 0) < int(qual_items):
            return ClaimGate(gold_only=True)
    return ClaimGate()


def claim_gate(*, project_id: int, user_id: int) -> ClaimGate:
    """Is the annotator paused, or still in the qualification test?"""
    with connection.cursor() as cur:
        cur.execute(_GATE_SQL, {"gate_user": user_id, "project": project_id})
        row = cur.fetchone()
    return ClaimGate() if row is None else gate_from_columns(row)


# --- submissions -------------------------------------------------------------------------------------------


def record_submission(
    *,
    annotation_id: int,
    project_id: int,
    item_id: int,
    annotator_id: int,
    vendor_id: int | None,
    labels: list[str],
    spans: list[dict[str, Any]],
    time_spent_ms: int,
    is_gold: bool,
    day: date,
) -> bool:
    """Count one submitted annotation into the rollups (call it in the submit's transaction).
    Returns False when it was counted before. Gold answers update the annotator's standing, which
    may qualify or pause them; the item is marked for the agreement fold."""
    vendor_key = vendor_id or 0
    correct = False
    if is_gold:
        reference = Item.objects.filter(pk=item_id).values_list("reference", flat=True).first()
        correct = metrics.gold_match(reference, labels, spans)
    # One statement on PostgreSQL: the record (the idempotency key) and both day rows.
    new = bump(
        project_id=project_id,
        annotator_id=annotator_id,
        vendor_key=vendor_key,
        day=day,
        incs={"submitted": 1, "handling_ms": time_spent_ms, "gold_seen": int(is_gold), "gold_correct": int(correct)},
        bucket=metrics.hist_bucket(time_spent_ms),
        mark_item=not is_gold and bool(labels),
        record={
            "annotation_id": annotation_id,
            "project_id": project_id,
            "item_id": item_id,
            "annotator_id": annotator_id,
            "vendor_key": vendor_key,
            "day": day,
            "handling_ms": time_spent_ms,
            "is_gold": is_gold,
            "gold_correct": correct,
        },
    )
    if not new:
        return False
    if is_gold:
        _gold_answered(project_id=project_id, annotator_id=annotator_id, vendor_id=vendor_id, correct=correct)
    if not is_gold and labels and connection.vendor != "postgresql":
        mark_dirty(item_id=item_id, project_id=project_id)  # PostgreSQL: marked in the rollup statement
    submission_recorded(project_id=project_id, vendor_id=vendor_id, fold=not is_gold and bool(labels))
    return True


def submission_rollup(
    *,
    annotation_source: str,
    project_id: int,
    item_id: int,
    annotator_id: int,
    vendor_id: int | None,
    labels: list[str],
    time_spent_ms: int,
    day: date,
) -> tuple[str, dict[str, Any]]:
    """``record_submission`` of a new answer on a non-gold item, on PostgreSQL, as CTEs (and their
    parameters) for the statement that writes the annotation (the CTE ``annotation_source``): the
    queue's one-statement submit. Call ``submission_recorded`` once that statement has run."""
    return submission_ctes(
        annotation_source=annotation_source, project_id=project_id, item_id=item_id, annotator_id=annotator_id,
        vendor_key=vendor_id or 0, day=day, handling_ms=time_spent_ms,
        bucket=metrics.hist_bucket(time_spent_ms), mark_item=bool(labels),
    )


def submission_recorded(*, project_id: int, vendor_id: int | None, fold: bool) -> None:
    """After a submission was counted: queue the agreement fold (``fold``: its item was marked) and
    tell live dashboards; both wait for the commit."""
    if fold:
        kick_agreement_fold()
    _announce(project_id, vendor_id)


_last_event: dict[int, float] = {}
EVENT_INTERVAL = 1.0


def _announce(project_id: int, vendor_id: int | None) -> None:
    """Tell live dashboards that counters moved: at most once a second per vendor and process, so a
    busy queue costs no more than that; clients re-read the (cheap) rollups when told."""
    tick = time.monotonic()
    if tick - _last_event.get(vendor_id or 0, -1e9) < EVENT_INTERVAL:
        return
    _last_event[vendor_id or 0] = tick
    # The organization is looked up after commit, off the submit's statement count.
    transaction.on_commit(
        lambda: publish_vendor_event(
            organization_of(project_id), vendor_id, {"type": "quality.changed", "project": project_id}
        )
    )


def _gold_answered(*, project_id: int, annotator_id: int, vendor_id: int | None, correct: bool) -> None:
    standing, _ = AnnotatorStanding.objects.select_for_update().get_or_create(
        project_id=project_id, annotator_id=annotator_id, defaults={"vendor_id": vendor_id}
    )
    standing.gold_seen += 1
    standing.gold_correct += int(correct)
    cfg = config_for(project_id)
    fields = ["gold_seen", "gold_correct", "updated_at"]
    accuracy = standing.gold_correct / standing.gold_seen
    if cfg.qualification_items and not standing.qualified and not standing.qualification_failed:
        if standing.gold_seen >= cfg.qualification_items:
            if accuracy >= cfg.qualification_pass:
                standing.qualified = True
            else:
                standing.qualification_failed = True
                _notify(
                    vendor_id=vendor_id,
                    project_id=project_id,
                    annotator_id=annotator_id,
                    kind="qualification_failed",
                    message=f"{_who(annotator_id)} failed the qualification test of {_what(project_id)} "
                    f"({accuracy:.0%} < {cfg.qualification_pass:.0%}).",
                )
            fields += ["qualified", "qualification_failed"]
    elif not standing.paused and standing.gold_seen >= cfg.min_gold and accuracy < cfg.pause_below:
        standing.paused, standing.paused_at = True, timezone.now()
        standing.pause_reason = (
            f"gold accuracy {accuracy:.1%} over {standing.gold_seen} answers is below {cfg.pause_below:.0%}"
        )
        fields += ["paused", "paused_at", "pause_reason"]
        _notify(
            vendor_id=vendor_id,
            project_id=project_id,
            annotator_id=annotator_id,
            kind="annotator_paused",
            message=f"{_who(annotator_id)} was paused in {_what(project_id)}: {standing.pause_reason}.",
        )
    standing.save(update_fields=fields)


def _who(user_id: int) -> str:
    name = User.objects.filter(pk=user_id).values_list("username", flat=True).first()
    return f"Annotator {name}" if name else f"Annotator #{user_id}"


def _what(project_id: int) -> str:
    name = Project.objects.filter(pk=project_id).values_list("name", flat=True).first()
    return f"project {name!r}" if name else f"project #{project_id}"


def _notify(*, vendor_id: int | None, project_id: int, annotator_id: int, kind: str, message: str) -> None:
    notice = Notice.objects.create(
        vendor_id=vendor_id, project_id=project_id, annotator_id=annotator_id, kind=kind, message=message
    )
    event = {
        "type": "quality.notice",
        "id": notice.pk,
        "kind": kind,
        "message": message,
        "project": project_id,
        "annotator": annotator_id,
    }
    org_id = organization_of(project_id)
    transaction.on_commit(lambda: publish_vendor_event(org_id, vendor_id, event))


def record_retraction(*, annotation_id: int) -> bool:
    """Take an undone (deleted) annotation back out of the rollups; call it in the undo's
    transaction. False when it was never counted or already taken back."""
    rec = SubmissionRecord.objects.select_for_update().filter(pk=annotation_id, retracted=False).first()
    if rec is None:
        return False
    rec.retracted = True
    rec.save(update_fields=["retracted"])
    incs = {
        "submitted": -1,
        "handling_ms": -rec.handling_ms,
        "gold_seen": -int(rec.is_gold),
        "gold_correct": -int(rec.gold_correct),
    }
    if rec.rejected:
        incs.update(rejected=-1, rejected_ms=-rec.handling_ms)
    bump(
        project_id=rec.project_id,
        annotator_id=rec.annotator_id,
        vendor_key=rec.vendor_key,
        day=rec.day,
        incs=incs,
        bucket=metrics.hist_bucket(rec.handling_ms),
        bsign=-1,
    )
    if rec.is_gold:
        AnnotatorStanding.objects.filter(project_id=rec.project_id, annotator_id=rec.annotator_id).update(
            gold_seen=F("gold_seen") - 1, gold_correct=F("gold_correct") - int(rec.gold_correct)
        )
    else:
        mark_dirty(item_id=rec.item_id, project_id=rec.project_id)
        kick_agreement_fold()
    return True


def _reject(rec: SubmissionRecord) -> None:
    rec.rejected = True
    rec.save(update_fields=["rejected"])
    bump(
        project_id=rec.project_id,
        annotator_id=rec.annotator_id,
        vendor_key=rec.vendor_key,
        day=rec.day,
        incs={"rejected": 1, "rejected_ms": rec.handling_ms},
    )


def _project_for(actor: Actor, project_id: int) -> Project:
    project = Project.objects.filter(pk=project_id, organization_id=actor.organization_id).first()
    if project is None:
        raise AccessDenied("No such project.")
    return project


@transaction.atomic
def annotation_reject(*, actor: Actor, annotation_id: int) -> bool:
    """A reviewer rejects a submitted annotation: it counts as rework and is not billed."""
    require_role(actor, Role.REVIEWER)
    if not actor.is_internal:
        raise AccessDenied("Only internal reviewers reject vendor work.")
    rec = SubmissionRecord.objects.select_for_update().filter(pk=annotation_id, retracted=False).first()
    if rec is None:
        raise AccessDenied("No such annotation.")
    _project_for(actor, rec.project_id)
    if rec.rejected:
        return False
    _reject(rec)
    return True


# --- standing ----------------------------------------------------------------------------------------------


@transaction.atomic
def annotator_resume(*, actor: Actor, project_id: int, annotator_id: int) -> AnnotatorStanding:
    """Lift an automatic pause (admins, or the annotator's vendor manager). The gold record starts
    afresh, so the annotator is judged on their answers from now on."""
    require_role(actor, Role.VENDOR_MANAGER)
    _project_for(actor, project_id)
    standing = (
        AnnotatorStanding.objects.select_for_update().filter(project_id=project_id, annotator_id=annotator_id).first()
    )
    if standing is None or (not actor.is_admin and standing.vendor_id != actor.vendor_id):
        raise AccessDenied("No such annotator.")
    standing.paused, standing.paused_at, standing.pause_reason = False, None, ""
    standing.gold_seen = standing.gold_correct = 0
    standing.save(update_fields=["paused", "paused_at", "pause_reason", "gold_seen", "gold_correct", "updated_at"])
    return standing


CONFIG_FIELDS = (
    "ordinal",
    "pause_below",
    "min_gold",
    "qualification_items",
    "qualification_pass",
    "adjudicate",
    "adaptive_overlap",
    "min_overlap",
    "max_overlap",
    "low_agreement",
    "high_agreement",
)


@transaction.atomic
def quality_config_set(*, actor: Actor, project_id: int, **changes: Any) -> QualityConfig:
    require_role(actor, Role.ADMIN)
    _project_for(actor, project_id)
    unknown = set(changes) - set(CONFIG_FIELDS)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    cfg, _ = QualityConfig.objects.select_for_update().get_or_create(project_id=project_id)
    for name, value in changes.items():
        setattr(cfg, name, value)
    cfg.full_clean()
    cfg.save()
    return cfg


# --- adjudication -------------------------------------------------------------------------------------------


@transaction.atomic
def adjudication_resolve(*, actor: Actor, adjudication_id: int, labels: list[str]) -> Adjudication:
    """A senior annotator or reviewer (internal) settles a disagreement: answers that differ from
    the resolution are rejected (rework, not billed)."""
    require_role(actor, Role.REVIEWER)
    if not actor.is_internal:
        raise AccessDenied("Adjudication is for internal reviewers.")
    case = Adjudication.objects.select_for_update().filter(pk=adjudication_id).first()
    if case is None:
        raise AccessDenied("No such adjudication.")
    project = _project_for(actor, case.project_id)
    from annotation.schema import parse_schema, validate_labels

    labels = validate_labels(parse_schema(project.kind, project.label_schema), labels)
    if case.state == AdjudicationState.RESOLVED:
        raise ValueError("This adjudication is already resolved.")
    want = set(labels)
    answers = Annotation.objects.filter(item_id=case.item_id).values_list("pk", "labels")
    wrong = [pk for pk, given in answers if set(given or []) != want]
    for rec in SubmissionRecord.objects.select_for_update().filter(pk__in=wrong, rejected=False, retracted=False):
        _reject(rec)
    case.state, case.resolved_labels = AdjudicationState.RESOLVED, labels
    case.resolved_by, case.resolved_at = actor.user, timezone.now()
    case.save()
    # The settled answer is the item's final label for training snapshots (it overrides the votes).
    item = Item.objects.get(pk=case.item_id)
    adjudicate(actor=actor, item=item, labels=labels, note=f"quality adjudication {case.pk}")
    return case
