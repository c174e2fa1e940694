"""Raw item content at rest: sealed with the content key ring, opened only through this module.

The AEAD context binds a sealed value to its item (project and external id), so a ciphertext copied
onto another row fails authentication instead of showing the wrong person's data.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings

from .crypto import KeyRing, derive_key


class SealedItem(Protocol):
    project_id: Any
    external_id: str
    text_sealed: Any


@lru_cache(maxsize=4)
def _ring(keys: tuple[str, ...]) -> KeyRing:
    return KeyRing.from_strings(list(keys))


def key_ring() -> KeyRing:
    """The configured ring (``QUORUM["CONTENT_KEYS"]``, current key first), or one derived from SECRET_KEY."""
    keys = tuple(settings.QUORUM.get("CONTENT_KEYS") or ()) or (derive_key(settings.SECRET_KEY, "content"),)
    return _ring(keys)


def _context(project_id: int, external_id: str) -> bytes:
    return f"item:{int(project_id)}:{external_id}".encode()


def seal_text(text: str, *, project_id: int, external_id: str) -> bytes:
    return key_ring().seal(text, _context(project_id, external_id))


def seal_texts(texts: list[str], *, project_id: int, external_ids: list[str]) -> list[bytes]:
    """``seal_text`` for a batch of one project's items (the import pipeline)."""
    return key_ring().seal_many(texts, [_context(project_id, e) for e in external_ids])


def open_text(sealed: bytes | memoryview, *, project_id: int, external_id: str) -> str:
    if not sealed:
        return ""
    return key_ring().open(bytes(sealed), _context(project_id, external_id))


def open_item_text(item: SealedItem) -> str:
    """The raw text of an item. Callers are the reveal service, raw exports and model jobs that run
    on internal hardware; vendor-facing code never calls this (tests/privacy_integration checks)."""
    return open_text(item.text_sealed, project_id=int(item.project_id), external_id=item.external_id)


def seal_secret(value: str, *, purpose: str) -> bytes:
    """Secrets Quorum must read back to use (webhook signing keys) are sealed like raw content."""
    return key_ring().seal(value, f"secret:{purpose}".encode())


def open_secret(sealed: bytes | memoryview, *, purpose: str) -> str:
    return key_ring().open(bytes(sealed), f"secret:{purpose}".encode()) if sealed else ""
