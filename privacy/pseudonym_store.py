"""Project-wide pseudonym numbers kept in the database, resolved in batches.

``<PERSON_3>`` must mean the same person in every item of a project (annotators compare items), so
the number comes from a table keyed by (project, type, digest) rather than from the order inside one
text. The import pipeline resolves every digest of a batch in two queries; a per-store cache makes
repeated values free.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from .models import Pseudonym

_CACHE_LIMIT = 500_000


class ProjectPseudonyms:
    """An ``IndexStore`` over the Pseudonym table for one project."""

    def __init__(self, project_id: int) -> None:
        self.project_id = int(project_id)
        self._cache: dict[tuple[str, bytes], int] = {}

    def index(self, kind: str, digest: bytes) -> int:
        key = (str(kind), digest)
        found = self._cache.get(key)
        if found is None:
            self.resolve([key])
            found = self._cache[key]
        return found

    def resolve(self, keys: Iterable[tuple[str, bytes]]) -> None:
        """Make sure every (type, digest) has a number, creating the missing ones."""
        missing = {(str(k), bytes(d)) for k, d in keys if (str(k), bytes(d)) not in self._cache}
        if not missing:
            return
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._load(missing)
        missing -= self._cache.keys()
        if missing:
            self._create(missing)

    def _load(self, keys: set[tuple[str, bytes]]) -> None:
        by_kind: dict[str, list[bytes]] = defaultdict(list)
        for kind, digest in keys:
            by_kind[kind].append(digest)
        for kind, digests in by_kind.items():
            rows = Pseudonym.objects.filter(project_id=self.project_id, kind=kind, digest__in=digests)
            for stored, number in rows.values_list("digest", "number"):
                self._cache[(kind, bytes(stored))] = number

    def _create(self, keys: set[tuple[str, bytes]]) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Numbers are per (project, type): concurrent imports of one project take turns here.
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x51C0, self.project_id])
            self._load(keys)  # another process may have numbered some meanwhile
            todo = sorted(k for k in keys if k not in self._cache)
            if not todo:
                return
            next_number: dict[str, int] = {}
            new: list[Pseudonym] = []
            for kind, digest in todo:
                if kind not in next_number:
                    last = (
                        Pseudonym.objects.filter(project_id=self.project_id, kind=kind)
                        .order_by("-number")
                        .values_list("number", flat=True)
                        .first()
                    )
                    next_number[kind] = (last or 0) + 1
                number = next_number[kind]
                next_number[kind] = number + 1
                new.append(Pseudonym(project_id=self.project_id, kind=kind, digest=digest, number=number))
            Pseudonym.objects.bulk_create(new, batch_size=2000)
            for p in new:
                self._cache[(p.kind, bytes(p.digest))] = p.number
