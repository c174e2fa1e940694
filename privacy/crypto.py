"""Encryption of raw content at rest: AES-256-GCM with a key ring, so keys can be rotated.

A sealed value is ``version byte (1) | key id (4, big-endian) | nonce (12) | ciphertext+tag``.
The first key of the ring encrypts; every key of the ring decrypts. Rotation = put a new key first,
re-seal old rows (``manage.py rotate_content_key``), then drop the old key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = 1
_HEADER = struct.Struct(">BI")
_NONCE = 12


class ContentKeyError(Exception):
    """A sealed value names a key the ring does not hold, or it was tampered with."""


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[int, bytes], ...]  # (key id, 32-byte key), current first

    @classmethod
    def from_strings(cls, encoded: list[str]) -> KeyRing:
        if not encoded:
            raise ValueError("the content key ring is empty")
        keys = []
        for value in encoded:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            if len(raw) != 32:
                raise ValueError("content keys must be 32 bytes, url-safe base64 encoded")
            keys.append((key_id(raw), raw))
        return cls(tuple(keys))

    @property
    def current_id(self) -> int:
        return self.keys[0][0]

    def seal(self, plaintext: str, context: bytes = b"") -> bytes:
        kid, key = self.keys[0]
        nonce = os.urandom(_NONCE)
        return _HEADER.pack(_VERSION, kid) + nonce + _aead(key).encrypt(nonce, plaintext.encode(), context)

    def seal_many(self, plaintexts: list[str], contexts: list[bytes]) -> list[bytes]:
        """``seal`` for a batch: one random draw for every nonce and the cipher looked up once."""
        kid, key = self.keys[0]
        header = _HEADER.pack(_VERSION, kid)
        encrypt = _aead(key).encrypt
        pool = os.urandom(_NONCE * len(plaintexts))
        out = []
        for i, (text, context) in enumerate(zip(plaintexts, contexts, strict=True)):
            nonce = pool[i * _NONCE : (i + 1) * _NONCE]
            out.append(header + nonce + encrypt(nonce, text.encode(), context))
        return out

    def open(self, sealed: bytes, context: bytes = b"") -> str:
        version, kid = _HEADER.unpack_from(sealed)
        if version != _VERSION:
            raise ContentKeyError(f"unknown sealed-value version {version}")
        for candidate, key in self.keys:
            if candidate == kid:
                nonce = sealed[_HEADER.size : _HEADER.size + _NONCE]
                try:
                    return _aead(key).decrypt(nonce, sealed[_HEADER.size + _NONCE :], context).decode()
                except Exception as e:
                    raise ContentKeyError("sealed value failed authentication") from e
        raise ContentKeyError(f"no key {kid:#010x} in the ring")

    @staticmethod
    def sealed_key_id(sealed: bytes) -> int:
        return int(_HEADER.unpack_from(sealed)[1])


def key_id(key: bytes) -> int:
    return int.from_bytes(hashlib.sha256(b"quorum-key-id" + key).digest()[:4], "big")


@lru_cache(maxsize=64)
def _aead(key: bytes) -> AESGCM:
    return AESGCM(key)


def derive_key(secret: str, purpose: str) -> str:
    """A stable 32-byte key derived from a secret (development default when no key is configured)."""
    raw = hashlib.sha256(f"quorum:{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
