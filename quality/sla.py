"""SLA compliance rollup: review decisions folded into ``SlaDay`` past a watermark."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import SlaDay, Watermark

SLA_WATERMARK = "review.decision"


def sla_fold(*, batch: int = 5000) -> int:
    """Fold review decisions past the watermark into ``SlaDay`` (decided, within SLA) per vendor and
    day; returns how many were folded. Idempotent: the watermark moves in the same transaction."""
    from review.models import Decision, DecisionKind

    with transaction.atomic():
        mark, _ = Watermark.objects.select_for_update().get_or_create(name=SLA_WATERMARK)
        rows = list(
            # People's decisions only: the triage model's auto-closes are instant, not SLA work.
            Decision.objects.filter(pk__gt=mark.last_id)
            .exclude(kind=DecisionKind.MODEL)
            .order_by("pk")
            .values_list("pk", "case__organization_id", "vendor_id", "created_at", "within_sla")[:batch]
        )
        if not rows:
            return 0
        counts: dict[tuple[int, int, date], list[int]] = {}
        for _pk, org, vendor_id, created_at, in_sla in rows:
            key = (int(org), int(vendor_id or 0), timezone.localdate(created_at))
            c = counts.setdefault(key, [0, 0])
            c[0] += 1
            c[1] += int(bool(in_sla))
        for (org_id, vendor_key, day), (decided, within) in sorted(counts.items()):
            row, _ = SlaDay.objects.select_for_update().get_or_create(
                organization_id=org_id, vendor_key=vendor_key, day=day, defaults={"vendor_id": vendor_key or None}
            )
            SlaDay.objects.filter(pk=row.pk).update(decided=F("decided") + decided, within_sla=F("within_sla") + within)
        mark.last_id = rows[-1][0]
        mark.save(update_fields=["last_id"])
        return len(rows)
