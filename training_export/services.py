"""Writes for exports: create a snapshot (built by a Celery job), adjudicate an item, erase an item."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from annotation.models import Item, Project
from annotation.schema import SchemaError, parse_schema, validate_labels, validate_spans
from inference.models import ModelVersion
from privacy.models import AuditAction
from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role

from .build import DEFAULT_SPLIT, SnapshotBuildError
from .formats.base import SINGLE_KINDS
from .models import Adjudication, Erasure, ExportFormat, Snapshot, Strategy, TextLevel
from .selectors import check_export, check_raw_text, model_versions_for_snapshot, snapshots_for_item
from .sources import external_id_hash, standard_level_available

FILTER_KEYS = ("label", "vendor", "annotated_after", "annotated_before", "min_agreement", "exclude_jurisdictions")


def audit(
    *, actor: Actor, action: str, reason: str, item_ids: Sequence[int] = (), detail: dict[str, Any] | None = None
) -> None:
    """Record in the privacy audit log (privacy.audit, owned by the privacy app)."""
    from privacy import audit as privacy_audit

    privacy_audit.record(user=actor.user, action=action, reason=reason, item_ids=item_ids, detail=detail)


def _check_split(split: dict[str, float]) -> dict[str, float]:
    if set(split) - {"train", "validation", "test"}:
        raise ValidationError({"split": "keys are train, validation, test"})
    values = {k: float(split.get(k, 0)) for k in ("train", "validation", "test")}
    if any(v < 0 for v in values.values()) or abs(sum(values.values()) - 1) > 1e-6:
        raise ValidationError({"split": "shares are non-negative and add up to 1"})
    return values


def check_snapshot(
    actor: Actor, *, project: Project, fmt: str, strategy: str, level: str, reason: str, filters: dict[str, Any]
) -> None:
    check_export(actor)
    if project.organization_id != actor.organization_id:
        raise AccessDenied("No such project.")
    if fmt not in ExportFormat.values:
        raise ValidationError({"format": f"one of {', '.join(ExportFormat.values)}"})
    if strategy not in Strategy.values:
        raise ValidationError({"strategy": f"one of {', '.join(Strategy.values)}"})
    if level not in TextLevel.values:
        raise ValidationError({"level": f"one of {', '.join(TextLevel.values)}"})
    if strategy == Strategy.DAWID_SKENE and project.kind not in SINGLE_KINDS:
        raise ValidationError({"strategy": "Dawid-Skene is for single-label projects"})
    if fmt == ExportFormat.CONLL and project.kind != "span":
        raise ValidationError({"format": "CoNLL export needs a span project"})
    if level == TextLevel.STANDARD and not standard_level_available():
        raise ValidationError({"level": "pseudonymized text is not available yet"})
    if level == TextLevel.RAW:
        check_raw_text(actor)
        if not reason.strip():
            raise ValidationError({"reason": "raw text needs a reason (it is audited)"})
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise ValidationError({"filters": f"unknown keys: {', '.join(sorted(unknown))}"})


def snapshot_create(
    *,
    actor: Actor,
    project: Project,
    fmt: str = ExportFormat.JSONL,
    strategy: str = Strategy.MAJORITY,
    level: str = TextLevel.RESTRICTED,
    reason: str = "",
    filters: dict[str, Any] | None = None,
    split: dict[str, float] | None = None,
    enqueue: bool = True,
) -> Snapshot:
    """Record a snapshot request and queue its build (after commit). Raw text is audited here,
    with the reason, before any of it is read."""
    filters = dict(filters or {})
    check_snapshot(actor, project=project, fmt=fmt, strategy=strategy, level=level, reason=reason, filters=filters)
    split_values = _check_split(split or DEFAULT_SPLIT)
    with transaction.atomic():
        snapshot = Snapshot.objects.create(
            organization_id=actor.organization_id,
            project=project,
            created_by=actor.user,
            format=fmt,
            strategy=strategy,
            level=level,
            reason=reason[:500],
            filters=filters,
            split=split_values,
        )
        if level == TextLevel.RAW:
            audit(
                actor=actor,
                action=AuditAction.SNAPSHOT_RAW_TEXT,
                reason=reason,
                detail={"snapshot_id": snapshot.pk, "project_id": project.pk, "format": fmt},
            )
        if enqueue:
            from .tasks import build_snapshot, send_after_commit

            send_after_commit(build_snapshot, snapshot.pk, "snapshot")
    return snapshot


def adjudicate(*, actor: Actor, item: Item, labels: Any = None, spans: Any = None, note: str = "") -> Adjudication:
    """Decide an item's final answer (internal reviewers, ML engineers, admins); it overrides votes."""
    if not actor.is_internal:
        raise AccessDenied("Adjudication is for internal staff.")
    require_role(actor, Role.REVIEWER, Role.ML_ENGINEER)
    project = item.project
    if project.organization_id != actor.organization_id:
        raise AccessDenied("No such item.")
    labelset = parse_schema(project.kind, project.label_schema)
    try:
        clean_labels = validate_labels(labelset, labels if labels is not None else [])
        clean_spans = validate_spans(labelset, spans if spans is not None else [], item.text_redacted)
    except SchemaError as e:
        raise ValidationError({e.field: e.message}) from e
    adjudication, _ = Adjudication.objects.update_or_create(
        item=item,
        defaults={"labels": clean_labels, "spans": clean_spans, "decided_by": actor.user, "note": note},
    )
    return adjudication


class ErasureBlocked(Exception):
    """The item is still referenced where it may not simply vanish (e.g. a moderation case)."""


@transaction.atomic
def erase_item(*, item: Item, actor: Actor, reason: str) -> Erasure:
    """Delete an item on a data subject's request. Snapshots that hold it are marked (their files
    stay immutable: the mark says a rebuild is due), the model versions trained from them are
    listed in the erasure record, and future snapshots leave the item out even if it is imported
    again (matched by a sha256 of its external id)."""
    if not actor.is_internal or not actor.is_admin:
        raise AccessDenied("Only an admin may erase items.")
    if item.project.organization_id != actor.organization_id:
        raise AccessDenied("No such item.")
    if not reason.strip():
        raise ValidationError({"reason": "an erasure needs a reason"})
    from django.utils import timezone

    snapshot_ids = list(snapshots_for_item(item_id=item.pk, ready_only=False).values_list("pk", flat=True))
    version_ids = list(model_versions_for_snapshot(snapshot_ids=snapshot_ids).values_list("pk", flat=True))
    erasure = Erasure.objects.create(
        organization_id=actor.organization_id,
        project_id=item.project_id,
        item_id=item.pk,
        external_id_hash=external_id_hash(item.external_id),
        actor=actor.user,
        reason=reason[:500],
        affected={"snapshots": snapshot_ids, "model_versions": version_ids},
    )
    from django.db.models import F

    Snapshot.objects.filter(pk__in=snapshot_ids).update(erased_items=F("erased_items") + 1, erased_at=timezone.now())
    # Versions trained on the item are marked too: retraining without it is the ML engineer's call.
    for version in ModelVersion.objects.select_for_update().filter(pk__in=version_ids):
        version.metrics = {**(version.metrics or {}), "erasures": [*(version.metrics or {}).get("erasures", []),
                                                                   erasure.pk]}
        version.save(update_fields=["metrics"])
    item_id = item.pk
    try:
        with transaction.atomic():
            item.delete()
    except ProtectedError as e:
        raise ErasureBlocked("The item is referenced by a moderation case; close it there first.") from e
    audit(
        actor=actor,
        action=AuditAction.ITEM_ERASED,
        reason=reason,
        item_ids=[item_id],
        detail={"snapshots": snapshot_ids, "model_versions": version_ids},
    )
    return erasure


__all__ = ["ErasureBlocked", "SnapshotBuildError", "adjudicate", "erase_item", "snapshot_create"]
