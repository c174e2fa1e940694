"""API token format and hashing: ``qrm_<prefix>_<secret>``; only sha256(secret) is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "qrm"  # noqa: S105 (a public marker, not a secret)


def new_token() -> tuple[str, str, str]:
    """Return (plaintext token, prefix, key hash)."""
    prefix = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}_{prefix}_{secret}", prefix, hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(raw: str) -> tuple[str, str] | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(secret: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), key_hash)
