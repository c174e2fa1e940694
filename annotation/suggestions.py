"""Model pre-labels: store suggestions on items and, above a project's threshold, count a confident
suggestion as one model annotation toward overlap (never on gold items, never twice per item)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Annotation, AnnotationSource, Item, ItemState, Project


@dataclass(frozen=True)
class Suggestion:
    item_id: int
    labels: list[str]
    confidence: float
    scores: dict[str, float]

    def payload(self, model_version: str) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "confidence": round(self.confidence, 4),
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "model_version": model_version,
        }


def uncertainty_rank(confidence: float) -> int:
    """0 (certain) … 1000 (no idea): the queue's tie-break within a priority (active learning)."""
    return max(0, min(1000, round((1.0 - confidence) * 1000)))


def suggestions_store(
    *,
    project: Project,
    suggestions: Sequence[Suggestion],
    model_version: str,
    auto_accept_threshold: float | None = None,
    uncertainty_order: bool = False,
) -> int:
    """Save suggestions (one transaction); returns how many were auto-accepted as model annotations.
    With ``uncertainty_order`` the least confident items move ahead within their priority."""
    if not suggestions:
        return 0
    by_id = {s.item_id: s for s in suggestions}
    accepted = 0
    now = timezone.now()
    with transaction.atomic():
        items = list(
            Item.objects.select_for_update()
            .filter(project=project, pk__in=by_id)
            .only("pk", "is_gold", "state", "annotation_count", "suggestion", "overlap_target", "uncertainty")
        )
        for item in items:
            item.suggestion = by_id[item.pk].payload(model_version)
            item.uncertainty = uncertainty_rank(by_id[item.pk].confidence) if uncertainty_order else 0
        Item.objects.bulk_update(items, ["suggestion", "uncertainty"], batch_size=1000)
        if auto_accept_threshold is None:
            return 0
        already = set(
            Annotation.objects.filter(item__in=items, source=AnnotationSource.MODEL).values_list("item_id", flat=True)
        )
        for item in items:
            s = by_id[item.pk]
            if (
                item.is_gold  # gold checks people; a model answer never stands in for one
                or item.state != ItemState.OPEN
                or item.pk in already
                or s.confidence < auto_accept_threshold
                or item.annotation_count >= (item.overlap_target or project.overlap)
            ):
                continue
            Annotation.objects.create(
                item_id=item.pk, annotator=None, labels=s.labels, source=AnnotationSource.MODEL,
                model_version=model_version, confidence=s.confidence, created_at=now, updated_at=now,
            )
            done = item.annotation_count + 1 >= (item.overlap_target or project.overlap)
            Item.objects.filter(pk=item.pk).update(
                annotation_count=F("annotation_count") + 1, **({"state": ItemState.DONE} if done else {})
            )
            accepted += 1
    return accepted


def items_to_prelabel(*, project: Project, item_ids: Sequence[int] | None = None, limit: int = 100_000) -> list[int]:
    """Open items of the project without a suggestion (or the given ones), oldest first."""
    qs = Item.objects.filter(project=project, state=ItemState.OPEN)
    qs = qs.filter(pk__in=item_ids) if item_ids is not None else qs.filter(suggestion__isnull=True)
    return list(qs.order_by("pk").values_list("pk", flat=True)[:limit])


def texts_for_model(*, item_ids: Sequence[int]) -> dict[int, str]:
    """What the model may read of items: the restricted view, never the raw text (Privacy issue)."""
    return dict(Item.objects.filter(pk__in=item_ids).values_list("pk", "text_redacted"))
