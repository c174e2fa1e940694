"""Re-seal raw item content under the current content key (step two of a key rotation)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from annotation.models import Item
from privacy.content import key_ring, open_text, seal_text
from privacy.crypto import KeyRing


class Command(BaseCommand):
    help = (
        "Rotation: put a new key first in QUORUM_CONTENT_KEYS (keep the old ones after it), run this, "
        "then drop the old keys. Items already under the current key are left alone; safe to re-run."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        current = key_ring().current_id
        last, done, kept = 0, 0, 0
        while True:
            with transaction.atomic():
                chunk = list(
                    Item.objects.select_for_update()
                    .filter(pk__gt=last)
                    .order_by("pk")
                    .only("pk", "project_id", "external_id", "text_sealed")[: options["batch"]]
                )
                if not chunk:
                    break
                stale = [i for i in chunk if i.text_sealed and KeyRing.sealed_key_id(bytes(i.text_sealed)) != current]
                for item in stale:
                    raw = open_text(item.text_sealed, project_id=item.project_id, external_id=item.external_id)
                    item.text_sealed = seal_text(raw, project_id=item.project_id, external_id=item.external_id)
                Item.objects.bulk_update(stale, ["text_sealed"])
                done += len(stale)
                kept += len(chunk) - len(stale)
                last = chunk[-1].pk
        self.stdout.write(f"re-sealed {done} items under key {current:#010x}; {kept} already were")
