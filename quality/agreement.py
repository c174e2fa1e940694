"""Agreement counts, folded in batches from the items that submissions marked.

An item's contribution to Fleiss' kappa, Krippendorff's alpha (coincidences) and the annotators' pair tables
depends on all of its answers, so the item's counted answers are kept (``ItemAgreement``) and an
update replaces the old contribution with the new one: subtract, then add. That makes the update
idempotent (running it twice changes nothing) and self-healing (an undo or a missed update is put
right by the item's next update). A submission only marks its item (``AgreementDirty``, written in
the submit's own rollup statement); ``agreement_fold`` (a Celery task, kicked after commit at most
once a second per process, and by beat) folds marked items in batches, summing their deltas so each
shared cell row is locked once per batch and not once per submission. Cells are locked in key
order, so concurrent folds cannot deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction

from annotation.models import Annotation, Item
from annotation.overlap import items_set_overlap_targets

from . import metrics
from .models import (
    Adjudication,
    AdjudicationState,
    AgreementCell,
    AgreementDirty,
    AgreementScope,
    AnnotatorPairs,
    ItemAgreement,
    QualityConfig,
)

AGREEMENT_KINDS = ("single_label", "multi_label", "moderation")
CellKey = tuple[str, int, str]  # (scope, vendor_key, dimension)


class _Delta:
    def __init__(self) -> None:
        self.fleiss = metrics.FleissCounts()
        self.coincidence: dict[metrics.Pair, float] = {}

    def add(self, values: list[str], sign: int) -> None:
        self.fleiss.add(values, sign)
        metrics.add_coincidences(self.coincidence, values, sign)


def _cell_deltas(answers: list[list[Any]], label_values: list[str], sign: int, into: dict[CellKey, _Delta]) -> None:
    by_dim: dict[CellKey, list[str]] = defaultdict(list)
    for _pk, _annotator, vendor_key, labels in answers:
        for dim, value in metrics.dimensions(labels, label_values).items():
            by_dim[(AgreementScope.PROJECT.value, 0, dim)].append(value)
            by_dim[(AgreementScope.VENDOR.value, int(vendor_key), dim)].append(value)
    for key, values in by_dim.items():
        into.setdefault(key, _Delta()).add(values, sign)


def _pair_deltas(answers: list[list[Any]], sign: int, into: dict[tuple[int, int], dict[str, float]]) -> None:
    for a in answers:
        va = metrics.overall_value(a[3])
        for b in answers:
            vb = metrics.overall_value(b[3])
            if a[0] == b[0] or va is None or vb is None:
                continue
            table = into.setdefault((int(a[1]), int(a[2])), {})
            key = f"{va}{metrics.SEP}{vb}"
            table[key] = table.get(key, 0.0) + sign


def agreement_update(*, item_id: int) -> None:
    """Bring one item's contribution up to date now (idempotent; the fold does this in batches)."""
    with transaction.atomic():
        fold_items([item_id])


def agreement_fold(*, limit: int = 500) -> int:
    """Fold up to ``limit`` items marked by submissions (``AgreementDirty``) into the agreement
    counts, in one transaction; returns how many. Concurrent folds take disjoint items (SKIP LOCKED).
    An item marked again while being folded stays marked and is folded next time."""
    with transaction.atomic():
        ids = list(
            AgreementDirty.objects.select_for_update(skip_locked=True)
            .order_by("item_id")
            .values_list("item_id", flat=True)[:limit]
        )
        if not ids:
            return 0
        AgreementDirty.objects.filter(item_id__in=ids).delete()
        fold_items(ids)
        return len(ids)


def fold_items(item_ids: list[int]) -> None:
    """Replace the counted contribution of each item with its current one (call in a transaction).
    Deltas of all items are summed first, so each shared cell is locked and written once."""
    infos = {
        row["pk"]: row
        for row in Item.objects.filter(pk__in=item_ids).values(
            "pk", "project_id", "is_gold", "project__kind", "project__label_schema", "project__overlap"
        )
    }
    wanted = [
        pk
        for pk in sorted(item_ids)
        if pk in infos and not infos[pk]["is_gold"] and infos[pk]["project__kind"] in AGREEMENT_KINDS
    ]
    if not wanted:
        return
    snaps = {s.item_id: s for s in ItemAgreement.objects.select_for_update().filter(item_id__in=wanted)}
    answers: dict[int, list[list[Any]]] = defaultdict(list)
    for item_id, pk, annotator_id, vendor_id, labels in (
        Annotation.objects.filter(item_id__in=wanted, annotator__isnull=False)
        .order_by("item_id", "pk")
        .values_list("item_id", "pk", "annotator_id", "vendor_id", "labels")
    ):
        if labels:
            answers[item_id].append([pk, annotator_id, vendor_id or 0, sorted(labels)])
    cells: dict[tuple[int, CellKey], _Delta] = {}
    pairs: dict[tuple[int, int, int], dict[str, float]] = {}
    changed: list[tuple[int, list[list[Any]]]] = []
    for item_id in wanted:
        info = infos[item_id]
        project_id = int(info["project_id"])
        snap = snaps.get(item_id)
        old: list[list[Any]] = snap.values if snap is not None else []
        new = answers.get(item_id, [])
        if new == old:
            continue
        changed.append((item_id, new))
        label_values = [str(label["value"]) for label in info["project__label_schema"].get("labels", [])]
        per_item: dict[CellKey, _Delta] = {}
        _cell_deltas(old, label_values, -1, per_item)
        _cell_deltas(new, label_values, 1, per_item)
        for key, delta in per_item.items():
            acc = cells.setdefault((project_id, key), _Delta())
            acc.fleiss.units += delta.fleiss.units
            acc.fleiss.sum_p += delta.fleiss.sum_p
            metrics.merge(acc.fleiss.totals, delta.fleiss.totals)
            for pair, w in delta.coincidence.items():
                acc.coincidence[pair] = acc.coincidence.get(pair, 0.0) + w
        per_pairs: dict[tuple[int, int], dict[str, float]] = {}
        _pair_deltas(old, -1, per_pairs)
        _pair_deltas(new, 1, per_pairs)
        for (annotator_id, vendor_key), table in per_pairs.items():
            metrics.merge(pairs.setdefault((project_id, annotator_id, vendor_key), {}), table)
    for project_id, key in sorted(cells):
        _apply_cell(project_id, key, cells[(project_id, key)])
    for project_id, annotator_id, vendor_key in sorted(pairs):
        table = {k: v for k, v in pairs[(project_id, annotator_id, vendor_key)].items() if v}
        if table:
            row, _ = AnnotatorPairs.objects.select_for_update().get_or_create(
                project_id=project_id, annotator_id=annotator_id, defaults={"vendor_key": vendor_key}
            )
            row.pairs = metrics.merge(dict(row.pairs), table)
            row.save(update_fields=["pairs"])
    _adapt_overlap(changed, infos)
    for item_id, new in changed:
        info = infos[item_id]
        snap = snaps.get(item_id)
        if snap is None:
            ItemAgreement.objects.create(item_id=item_id, project_id=info["project_id"], values=new)
        else:
            snap.values = new
            snap.save(update_fields=["values"])
        _route_disagreement(int(info["project_id"]), item_id, int(info["project__overlap"]), new)


def mark_dirty(*, item_id: int, project_id: int) -> None:
    """Portable path (the PostgreSQL submit marks the item in its rollup statement)."""
    AgreementDirty.objects.bulk_create([AgreementDirty(item_id=item_id, project_id=project_id)], ignore_conflicts=True)


def _apply_cell(project_id: int, key: CellKey, delta: _Delta) -> None:
    scope, vendor_key, dimension = key
    if not delta.fleiss.units and not delta.fleiss.totals and not delta.coincidence:
        return
    cell, _ = AgreementCell.objects.select_for_update().get_or_create(
        project_id=project_id, scope=scope, vendor_key=vendor_key, dimension=dimension
    )
    cell.units += delta.fleiss.units
    cell.sum_p += delta.fleiss.sum_p
    cell.totals = metrics.merge(dict(cell.totals), delta.fleiss.totals)
    cell.coincidence = metrics.merge(dict(cell.coincidence), metrics.pack(delta.coincidence))
    cell.save(update_fields=["units", "sum_p", "totals", "coincidence"])


def _route_disagreement(project_id: int, item_id: int, overlap: int, answers: list[list[Any]]) -> None:
    """An item whose required answers are in and disagree goes to adjudication (once); an open case
    whose item no longer disagrees (an answer was undone) is withdrawn."""
    if len(answers) < max(2, overlap) or len({metrics.overall_value(a[3]) for a in answers}) <= 1:
        Adjudication.objects.filter(item_id=item_id, state=AdjudicationState.OPEN).delete()
        return
    cfg = QualityConfig.objects.filter(project_id=project_id).values_list("adjudicate", flat=True).first()
    if cfg is False:
        return
    case, created = Adjudication.objects.get_or_create(
        item_id=item_id, defaults={"project_id": project_id, "answers": [[a[0], a[1], a[3]] for a in answers]}
    )
    if not created and case.state == AdjudicationState.OPEN:
        case.answers = [[a[0], a[1], a[3]] for a in answers]
        case.save(update_fields=["answers"])


def _adapt_overlap(changed: list[tuple[int, list[list[Any]]]], infos: dict[int, Any]) -> None:
    """Adaptive overlap for projects that enable it: each changed item needs the annotators its least
    reliable label asks for (``metrics.item_overlap`` over the labels given to it so far)."""
    by_project: dict[int, list[tuple[int, list[list[Any]]]]] = defaultdict(list)
    for item_id, answers in changed:
        by_project[int(infos[item_id]["project_id"])].append((item_id, answers))
    for project_id, rows in by_project.items():
        cfg = QualityConfig.objects.filter(project_id=project_id, adaptive_overlap=True).first()
        if cfg is None:
            continue
        base = int(infos[rows[0][0]]["project__overlap"])
        alphas = {
            dimension.removeprefix("label:"): metrics.krippendorff_alpha(metrics.unpack(coincidence))
            for dimension, coincidence in AgreementCell.objects.filter(
                project_id=project_id, scope=AgreementScope.PROJECT, dimension__startswith="label:"
            ).values_list("dimension", "coincidence")
        }
        targets = {
            item_id: metrics.item_overlap(
                {label for a in answers for label in a[3]}, alphas, base=base, lo=cfg.min_overlap,
                hi=cfg.max_overlap, low=cfg.low_agreement, high=cfg.high_agreement,
            )
            for item_id, answers in rows
            if answers
        }
        items_set_overlap_targets(project_id=project_id, targets=targets)
