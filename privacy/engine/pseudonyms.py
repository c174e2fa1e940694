"""Keyed, consistent pseudonyms: HMAC-SHA256 of a normalized value under a per-project key.

How numbering works, and why. A pseudonym is ``<TYPE_n>``. The value is first normalized (case, spacing,
separators: see ``normalize``) and digested with HMAC-SHA256 under the project key, so the same person gets
the same digest everywhere in one project, and a different, unlinkable one in another project (the keys
differ and HMAC output reveals nothing about the key or the value). The digest is then mapped to a small
index ``n`` by an ``IndexStore``:

* the default (``Pseudonymizer.for_text``) numbers digests in order of first appearance within one text.
  It is deterministic (the same text renders the same way in every process, on every reload) and needs
  no storage; the same person is ``<PERSON_1>`` throughout that text.
* ``MemoryIndexStore`` shared across texts numbers digests for the life of the store: stable across
  every text that store sees (e.g. one export or one worker batch).
* a persistent store (a table keyed by project, type and digest with a unique constraint) gives
  project-wide numbering that survives restarts; it only has to implement ``IndexStore``. The digest is
  stable, so such a store can be added later without changing any stored digest.

Digests, not raw values, are the keys in every store, so a store never holds personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import unicodedata
from typing import Protocol

from .findings import EntityType

_KEY_CONTEXT = b"quorum/privacy/pseudonym-key/v1"


def derive_project_key(master_key: bytes, project_id: int) -> bytes:
    """The project's pseudonym key: HMAC-SHA256(master_key, context || project id)."""
    if not master_key:
        raise ValueError("a non-empty master key is required")
    message = _KEY_CONTEXT + b":" + str(int(project_id)).encode()
    return hmac.new(master_key, message, hashlib.sha256).digest()


def normalize(kind: str, value: str) -> str:
    """The form of ``value`` that decides identity: "Jane  DOE" and "jane doe" are one person."""
    text = unicodedata.normalize("NFKC", value).strip()
    if kind in (EntityType.PHONE, EntityType.CARD, EntityType.IBAN, EntityType.SSN, EntityType.NATIONAL_ID):
        keep = "".join(ch for ch in text if ch.isalnum())
        return ("+" + keep) if kind == EntityType.PHONE and text.startswith("+") else keep.upper()
    if kind == EntityType.PERSON:
        folded = "".join(
            ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch)
        )
        return " ".join(folded.replace(".", " ").split())
    return " ".join(text.casefold().split())


class IndexStore(Protocol):
    """Maps a (type, digest) to a small positive integer, the same one every time it is asked."""

    def index(self, kind: str, digest: bytes) -> int: ...


class MemoryIndexStore:
    """Numbers digests 1, 2, 3... per type in order of first appearance; thread-safe."""

    def __init__(self) -> None:
        self._indexes: dict[tuple[str, bytes], int] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def index(self, kind: str, digest: bytes) -> int:
        key = (kind, digest)
        found = self._indexes.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._indexes.get(key)
            if found is None:
                found = self._counts.get(kind, 0) + 1
                self._counts[kind] = found
                self._indexes[key] = found
            return found


class Pseudonymizer:
    """Turns (type, value) into ``<TYPE_n>``; consistent within its store, unlinkable across projects."""

    def __init__(self, project_key: bytes, store: IndexStore | None = None) -> None:
        if len(project_key) < 16:
            raise ValueError("the project key must be at least 16 bytes")
        self._mac = hmac.new(project_key, digestmod=hashlib.sha256)
        self._key = project_key
        self.store: IndexStore = store if store is not None else MemoryIndexStore()

    def for_text(self) -> Pseudonymizer:
        """The same key with a fresh per-text numbering."""
        return Pseudonymizer(self._key)

    def digest(self, kind: str, value: str) -> bytes:
        mac = self._mac.copy()
        mac.update(str(kind).encode() + b"\x1f" + normalize(kind, value).encode())
        return mac.digest()

    def pseudonym(self, kind: str, value: str) -> str:
        return f"<{kind}_{self.store.index(str(kind), self.digest(kind, value))}>"
