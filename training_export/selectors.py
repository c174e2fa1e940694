"""Reads for exports, always through the acting user: snapshots, lineage, resolved records.

Who may export: internal staff (no vendor) with the ML engineer role, and admins. Vendor users
never see a snapshot, whatever their role; everyone else is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from annotation.models import Annotation, AnnotationSource, Item, Project
from inference.models import ModelVersion
from workforce.access import AccessDenied, Actor
from workforce.models import Clearance, Role

from .build import DEFAULT_SPLIT, Resolver, RowFilters, split_cuts, split_of
from .formats import ExportRow
from .models import Adjudication, Snapshot, SnapshotRange, SnapshotStatus, Strategy
from .sources import RawItem


def check_export(actor: Actor) -> None:
    """Export is for internal ML engineers and admins; vendor users never, whatever their role."""
    if not actor.is_internal:
        raise AccessDenied("Exports are for internal staff only.")
    if not actor.has_role(Role.ML_ENGINEER):
        raise AccessDenied("Your role may not export data.")


def check_raw_text(actor: Actor) -> None:
    """Raw (unredacted) text: an internal ML engineer or admin with internal clearance."""
    check_export(actor)
    if not actor.clears(Clearance.INTERNAL):
        raise AccessDenied("Raw text needs internal clearance.")


def snapshots_visible(actor: Actor) -> QuerySet[Snapshot]:
    check_export(actor)
    return Snapshot.objects.filter(organization_id=actor.organization_id).select_related("project").order_by("-id")


def snapshot_get(actor: Actor, snapshot_id: int) -> Snapshot:
    snapshot = snapshots_visible(actor).filter(pk=snapshot_id).first()
    if snapshot is None:
        raise Snapshot.DoesNotExist("No such snapshot.")
    return snapshot


def export_project_get(actor: Actor, project_id: int) -> Project:
    check_export(actor)
    project = Project.objects.filter(pk=project_id, organization_id=actor.organization_id).first()
    if project is None:
        raise AccessDenied("No such project.")
    return project


# --- lineage -------------------------------------------------------------------------------------


def snapshots_for_item(*, item_id: int, ready_only: bool = True) -> QuerySet[Snapshot]:
    """Snapshots whose lineage holds the item (also after the item was erased)."""
    ranges = SnapshotRange.objects.filter(snapshot_id=OuterRef("pk"), first_id__lte=item_id, last_id__gte=item_id)
    qs = Snapshot.objects.filter(Exists(ranges))
    if ready_only:
        qs = qs.filter(status=SnapshotStatus.READY)
    return qs.order_by("-id")


def model_versions_for_snapshot(*, snapshot_ids: Sequence[int]) -> QuerySet[ModelVersion]:
    """Model versions trained from any of the snapshots: fine-tuning records ``lineage`` (or
    ``metrics``) JSON with ``snapshot_id`` or ``snapshot_ids``."""
    ids = [int(s) for s in snapshot_ids]
    if not ids:
        return ModelVersion.objects.none()
    cond = Q(metrics__snapshot_id__in=ids) | Q(metrics__lineage__snapshot_id__in=ids)
    for sid in ids:
        cond |= Q(metrics__snapshot_ids__contains=[sid]) | Q(metrics__lineage__snapshot_ids__contains=[sid])
    if any(f.name == "lineage" for f in ModelVersion._meta.get_fields()):
        cond |= Q(lineage__snapshot_id__in=ids)
        for sid in ids:
            cond |= Q(lineage__snapshot_ids__contains=[sid])
    return ModelVersion.objects.filter(cond).order_by("-id")


def item_lineage(actor: Actor, *, item_id: int) -> dict[str, Any]:
    check_export(actor)
    snapshots = list(
        snapshots_for_item(item_id=item_id)
        .filter(organization_id=actor.organization_id)
        .values("id", "project_id", "sha256", "format", "created_at", "erased_items")
    )
    versions = list(
        model_versions_for_snapshot(snapshot_ids=[s["id"] for s in snapshots]).values("id", "name", "status")
    )
    return {"item": item_id, "snapshots": snapshots, "model_versions": versions}


# --- records (resolved labels, paged by item id) -------------------------------------------------


@dataclass(frozen=True)
class RecordQuery:
    project: Project
    strategy: str = Strategy.MAJORITY
    label: str | None = None
    vendor_id: int | None = None
    annotated_after: Any = None
    annotated_before: Any = None
    min_agreement: float | None = None
    split: dict[str, float] | None = None


def records_page(
    actor: Actor, query: RecordQuery, *, before_id: int | None, page_size: int, scan_limit: int = 5000
) -> tuple[list[ExportRow], int | None]:
    """Resolved records with item ids below ``before_id`` (newest first), at most ``page_size``.

    Label and agreement filters apply after resolution, so a page scans up to ``scan_limit`` items
    and may come back short; the returned cursor (the last id scanned, or None at the end) always
    moves forward, so paging never loops and never skips."""
    check_export(actor)
    if query.strategy not in (Strategy.MAJORITY, Strategy.WEIGHTED):
        raise AccessDenied("Records resolve by majority or weighted vote; Dawid-Skene is for snapshots.")
    project = query.project
    labels = [str(v["value"]) for v in project.label_schema.get("labels", [])]
    resolver = Resolver(kind=project.kind, strategy=query.strategy, order={v: i for i, v in enumerate(labels)})
    if query.strategy == Strategy.WEIGHTED:
        from . import resolution
        from .build import _DefaultDict
        from .sources import SourceSpec, gold_stats

        stats = gold_stats(SourceSpec(project_id=project.pk, level="restricted"), kind=project.kind)
        resolver.weights = _DefaultDict(
            resolution.annotator_weights(stats, n_classes=len(labels)),
            resolution.default_weight(n_classes=len(labels)),
        )
    answers_q = Q(item_id=OuterRef("pk"), source=AnnotationSource.HUMAN)
    ann_filter = Q(source=AnnotationSource.HUMAN)
    if query.vendor_id is not None:
        ann_filter &= Q(vendor_id=query.vendor_id)
        answers_q &= Q(vendor_id=query.vendor_id)
    if query.annotated_after is not None:
        ann_filter &= Q(created_at__gte=query.annotated_after)
        answers_q &= Q(created_at__gte=query.annotated_after)
    if query.annotated_before is not None:
        ann_filter &= Q(created_at__lt=query.annotated_before)
        answers_q &= Q(created_at__lt=query.annotated_before)
    items = (
        Item.objects.filter(project_id=project.pk, allowed_purposes__contains=["model_training"])
        .filter(
            Exists(Annotation.objects.filter(answers_q))
            | Q(is_gold=True, reference__isnull=False)
            | Exists(Adjudication.objects.filter(item_id=OuterRef("pk")))
        )
        .order_by("-id")
    )
    if before_id is not None:
        items = items.filter(pk__lt=before_id)
    cuts = split_cuts(query.split or DEFAULT_SPLIT)
    out: list[ExportRow] = []
    last_scanned: int | None = None
    chunk = min(max(page_size * 2, 100), scan_limit)
    scanned = 0
    while len(out) < page_size and scanned < scan_limit:
        qs = items.filter(pk__lt=last_scanned) if last_scanned is not None else items
        batch = list(qs.values("id", "external_id", "text_redacted", "is_gold", "reference")[:chunk])
        if not batch:
            return out, None
        ids = [b["id"] for b in batch]
        answers: dict[int, list[Any]] = {}
        for item_id, annotator_id, lab, spans in (
            Annotation.objects.filter(ann_filter, item_id__in=ids)
            .order_by("id")
            .values_list("item_id", "annotator_id", "labels", "spans")
        ):
            answers.setdefault(item_id, []).append([annotator_id, lab, spans])
        adjudications = {
            a["item_id"]: [a["labels"], a["spans"]]
            for a in Adjudication.objects.filter(item_id__in=ids).values("item_id", "labels", "spans")
        }
        for b in batch:
            scanned += 1
            last_scanned = b["id"]
            raw = RawItem(
                b["id"],
                b["external_id"],
                b["text_redacted"],
                b["is_gold"],
                b["reference"],
                answers.get(b["id"], []),
                adjudications.get(b["id"]),
            )
            res = resolver.resolve(raw)
            if res is None:
                continue
            row = ExportRow(
                raw.id,
                raw.external_id,
                raw.text,
                res[0],
                res[1],
                res[2],
                res[3],
                len(raw.answers),
                res[4],
                split_of(raw.external_id, cuts),
            )
            if not RowFilters(label=query.label, min_agreement=query.min_agreement).keep(row):
                continue
            out.append(row)
            if len(out) >= page_size:
                break
        if len(batch) < chunk and len(out) < page_size and last_scanned == batch[-1]["id"]:
            return out, None
    return out, last_scanned
