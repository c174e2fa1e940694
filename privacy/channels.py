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
