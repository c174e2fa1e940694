"""Adaptive overlap: per-item annotator targets set from label agreement (quality.agreement decides).

An item whose target rises above its answers goes back to the queue; one whose target falls to
what it already has is done. Gold items keep unlimited overlap and are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from .models import Item, ItemState


def items_set_overlap_targets(*, project_id: int, targets: Mapping[int, int]) -> int:
    """Set ``overlap_target`` of the project's items (item id → annotators); returns items changed."""
    if not targets:
        return 0
    changed = 0
    with transaction.atomic():
        items = list(
            Item.objects.select_for_update()
            .filter(project_id=project_id, pk__in=list(targets), is_gold=False)
            .exclude(state=ItemState.ARCHIVED)
            .only("pk", "state", "annotation_count", "overlap_target")
        )
        for item in items:
            target = max(1, int(targets[item.pk]))
            state = ItemState.DONE if item.annotation_count >= target else ItemState.OPEN
            if item.overlap_target == target and item.state == state:
                continue
            item.overlap_target, item.state = target, state
            changed += 1
        Item.objects.bulk_update(items, ["overlap_target", "state"], batch_size=1000)
    return changed
