"""Live dashboard events over Channels: counters change, notices. Sent by services after commit.

Vendor users' sockets join ``quality.vendor.<id>``; admins' join ``quality.org.<organization id>``.
An event names counts and ids, never item content.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def org_group(organization_id: int) -> str:
    return f"quality.org.{organization_id}"


def vendor_group(vendor_id: int | None) -> str:
    return f"quality.vendor.{vendor_id or 0}"


def publish_vendor_event(organization_id: int, vendor_id: int | None, event: dict[str, Any]) -> None:
    """Send now (callers run it from ``transaction.on_commit``) to the vendor's group and the
    organization's admins."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "quality.event", "event": {**event, "vendor": vendor_id}}
    try:
        async_to_sync(layer.group_send)(vendor_group(vendor_id), message)
        async_to_sync(layer.group_send)(org_group(organization_id), message)
    except Exception:  # a dropped live update must never fail the write that caused it
        log.warning("could not publish %s", event.get("type"), exc_info=True)
