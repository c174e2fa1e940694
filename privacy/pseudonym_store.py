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
        if connection.vendor == "postgresql":  # one array parameter, not thousands of bind values
            with connection.cursor() as cur:
                for kind, digests in by_kind.items():
                    # Digests travel as one hex string: adapting thousands of bytea values costs more.
                    cur.execute(
                        "SELECT digest, number FROM privacy_pseudonym WHERE project_id = %s AND kind = %s "
                        "AND digest = ANY(SELECT decode(h, 'hex') FROM unnest(string_to_array(%s, ',')) AS h)",
                        [self.project_id, kind, ",".join(d.hex() for d in digests)],
                    )
                    for stored, number in cur.fetchall():
                        self._cache[(kind, bytes(stored))] = number
            return
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
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT kind, MAX(number) FROM privacy_pseudonym WHERE project_id = %s GROUP BY kind",
                    [self.project_id],
                )
                next_number: dict[str, int] = {kind: top + 1 for kind, top in cur.fetchall()}
            new: list[tuple[str, bytes, int]] = []
            for kind, digest in todo:
                number = next_number.get(kind, 1)
                next_number[kind] = number + 1
                new.append((kind, digest, number))
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute(
                        "INSERT INTO privacy_pseudonym (project_id, kind, digest, number) "
                        "SELECT %s, k, decode(d, 'hex'), n::int FROM unnest("
                        "string_to_array(%s, ','), string_to_array(%s, ','), string_to_array(%s, ',')) AS t(k, d, n)",
                        [self.project_id, ",".join(k for k, _, _ in new), ",".join(d.hex() for _, d, _ in new),
                         ",".join(str(n) for _, _, n in new)],
                    )
            else:
                Pseudonym.objects.bulk_create(
                    [Pseudonym(project_id=self.project_id, kind=k, digest=d, number=n) for k, d, n in new],
                    batch_size=2000,
                )
            for kind, digest, number in new:
                self._cache[(kind, digest)] = number
