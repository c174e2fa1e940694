"""Live dashboard counters over Channels: ``ws/quality/``.

Admins join the organization-wide group, vendor managers only their vendor's; anyone else is refused
with CLOSE_FORBIDDEN. Events carry counts and ids, never item content.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from workforce.access import AccessDenied, actor_for

from .events import org_group, vendor_group
from .selectors import dashboard_scope

CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _group_for(user: Any) -> str | None:
    try:
        scope = dashboard_scope(actor_for(user))
    except AccessDenied:
        return None
    return org_group(scope.organization_id) if scope.vendor_key is None else vendor_group(scope.vendor_key)


class DashboardEventsConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        group = await _group_for(self.scope.get("user"))
        if group is None:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return None  # one-way

    async def quality_event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if isinstance(event, dict) and isinstance(event.get("type"), str):
            await self.send_json(event)
