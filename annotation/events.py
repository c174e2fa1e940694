"""Realtime events for annotation, sent over Channels only after the writing transaction commits.

Services call ``publish_project_event``; it defers the send with ``transaction.on_commit`` so a
rolled-back write never announces anything. Consumers join the group ``project.<id>``.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "project.event", "event": event})
    except Exception:  # a dropped realtime event must never fail the write that caused it
        log.warning("could not publish %s to %s", event.get("type"), group, exc_info=True)


def publish_project_event(project_id: int, event: dict[str, Any]) -> None:
    """Send ``event`` (a JSON-able dict with a ``type``) to the project's group after commit."""
    group = project_group(project_id)
    transaction.on_commit(lambda: _send(group, event))
