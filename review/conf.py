"""Review's settings: defaults here, overridden by keys of the same name in settings.QUORUM.

Per-organization values (exposure caps, breaks, QA rate, lease time) live in ``ReviewSettings``
rows; these are the defaults new rows start from and the process-wide knobs.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # τ of the urgency formula (review/urgency.py), seconds.
    "REVIEW_URGENCY_TAU_SECONDS": 3600,
    "REVIEW_LEASE_SECONDS": 600,
    # Daily per-reviewer caps by category code; categories not named are uncapped.
    "REVIEW_EXPOSURE_CAPS": {"S1": 60, "S4": 10, "S11": 40},
    # A case of at least this severity is "severe" for breaks.
    "REVIEW_SEVERE_SEVERITY": 3,
    "REVIEW_BREAK_AFTER": 25,  # severe cases in a row before a mandatory break
    "REVIEW_BREAK_MINUTES": 15,
    "REVIEW_QA_SAMPLE_RATE": 0.05,
    "REVIEW_QA_SLA_MINUTES": 72 * 60,
    "REVIEW_WEBHOOK_MAX_ATTEMPTS": 6,  # then the delivery is dead-lettered
    "REVIEW_WEBHOOK_TIMEOUT_SECONDS": 10,
    "REVIEW_WEBHOOK_BACKOFF_BASE": 10.0,
    "REVIEW_WEBHOOK_BACKOFF_CAP": 3600.0,
    "REVIEW_BREACH_BATCH": 500,  # cases escalated per beat run at most
    # Channels group names start with this: deployments (and test runs) sharing one Redis keep their
    # console events apart, as QUORUM_BROKER_PREFIX keeps their task queues apart.
    "REVIEW_GROUP_PREFIX": os.environ.get("QUORUM_BROKER_PREFIX", ""),
}


def review_setting(name: str) -> Any:
    return settings.QUORUM.get(name, DEFAULTS[name])
