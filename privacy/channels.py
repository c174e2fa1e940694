"""The websocket side of the canary tripwire: a frame carrying a canary value is never sent."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .canaries import tripwire


class TripwiredJsonConsumer(AsyncJsonWebsocketConsumer):
    """Base for every Quorum consumer: outgoing JSON frames are scanned before they leave."""

    async def send_json(self, content: Any, close: bool = False) -> None:
        text = await self.encode_json(content)
        user = self.scope.get("user")
        user_id = getattr(user, "pk", None)
        path = str(self.scope.get("path", ""))
        hits = await database_sync_to_async(tripwire.check)(text, channel="websocket", where=path, user_id=user_id)
        if hits:
            return  # dropped; the alert is recorded
        await super().send(text_data=text, close=close)


# Application close code: accepted, then closed with this, so a browser can tell "not allowed"
# (do not reconnect) from a dropped connection (reconnect).
CLOSE_FORBIDDEN = 4403


class GroupEventsConsumer(TripwiredJsonConsumer):
    """A one-way event socket: joins the one group ``group_for`` names for the user (None: closed
    with CLOSE_FORBIDDEN) and forwards that group's events as frames. Clients write through the REST
    API, never here. Subclasses name the group and route their message type to ``forward``."""

    group: str | None = None

    async def group_for(self, user: Any) -> str | None:
        raise NotImplementedError

    async def connect(self) -> None:
        group = await self.group_for(self.scope.get("user"))
        if group is None:
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Join before accepting, so no event published after the client sees "open" is missed.
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return None

    async def forward(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if isinstance(event, dict) and isinstance(event.get("type"), str):
            await self.send_json(event)
