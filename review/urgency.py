"""Queue priority: severity * SLA urgency, ordered by one stored, indexable key.

For a case of severity ``s`` (1-4) due at ``d``, its priority at time ``t`` is

    priority(t) = s * exp((t - d) / τ)

``exp((t - d)/τ)`` is the SLA urgency: 1 at the due time, growing by a factor e every τ past it and
shrinking as much every τ before it. Ordering by priority descending is the same at every ``t`` as
ordering by

    urgency_key = d - τ · ln(s)

ascending (take the log: ln priority = ln s + (t - d)/τ, and t is common to all cases), so the key
is computed once, stored on the case and indexed: the next case is an index descent, not a scan.
With τ = 1 h a severity-4 case is served as if it were due 83 minutes earlier than a severity-1
case with the same due time.

Breached cases (``d ≤ t``) come before all others whatever their key: the claim takes the first
breached case in key order and only when there is none the first case in key order.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta


def urgency_key(*, due_at: datetime, severity: int, tau_seconds: float) -> datetime:
    return due_at - timedelta(seconds=tau_seconds * math.log(max(1, severity)))


def priority(*, now: datetime, due_at: datetime, severity: int, tau_seconds: float) -> float:
    """The priority itself, for display; the queue orders by ``urgency_key`` which agrees with it."""
    exponent = (now - due_at).total_seconds() / tau_seconds
    return severity * math.exp(min(exponent, 700.0))


def sla_due(*, start: datetime, severity: int, sla_minutes: dict[str, int]) -> datetime:
    minutes = sla_minutes.get(str(severity))
    if minutes is None:
        raise ValueError(f"no SLA for severity {severity}")
    return start + timedelta(minutes=int(minutes))
