"""The queue's settings: defaults here, overridden by keys of the same name in settings.QUORUM."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "UNDO_SECONDS": 10,  # how long after a submit its author may take it back
    "QUEUE_COUNTS_TTL": 5,  # seconds the per-state item counts of a project are cached
    "QUEUE_EVENT_INTERVAL": 1,  # at most one queue.counts event per project per this many seconds
}


def queue_setting(name: str) -> Any:
    return settings.QUORUM.get(name, DEFAULTS[name])
