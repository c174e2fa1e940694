"""Webhook signatures and retry timing: plain functions, no Django import.

A delivery carries ``X-Quorum-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 with the endpoint's secret over ``"<t>." + body``. Receivers recompute it, compare in
constant time and refuse timestamps older than a few minutes (replay). ``Idempotency-Key`` is the
same on every attempt of one delivery, so a receiver acts on it once.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time

SIGNATURE_HEADER = "X-Quorum-Signature"
TIMESTAMP_HEADER = "X-Quorum-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Quorum-Event"
DELIVERY_HEADER = "X-Quorum-Delivery"
DEFAULT_TOLERANCE = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None,
           tolerance: int = DEFAULT_TOLERANCE) -> bool:
    """True when ``header`` is a valid, fresh signature of ``body`` under ``secret``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))


def backoff_seconds(attempt: int, *, base: float = 10.0, cap: float = 3600.0, jitter: float = 0.1) -> float:
    """Wait before attempt ``attempt + 1`` after ``attempt`` failures: base · 2^(attempt-1), capped,
    with ±``jitter`` spread so that many failed deliveries do not retry in lockstep."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return float(max(0.0, delay * (1 + random.uniform(-jitter, jitter))))
