"""Channels consumer for the review console: live case events (claimed by someone, decided,
escalated, new cases) for the organization, at ``ws/review/``.

Internal reviewers and admins join the organization's group; vendor reviewers join their vendor's
group, which hears only about cases they may see (review/events.py). Others are refused with
4403 after the handshake, so a browser does not reconnect. Events carry no content.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from privacy.channels import TripwiredJsonConsumer
from workforce.access import AccessDenied, actor_for

from .events import org_group, vendor_group
from .selectors import reviewer_tier

CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _group_for(user: Any) -> str | None:
    try:
        actor = actor_for(user)
    except AccessDenied:
        return None
    if reviewer_tier(actor) == 0:
        return None
    if actor.is_internal:
        return org_group(actor.organization_id)
    return vendor_group(actor.organization_id, actor.vendor_id or 0)


class ReviewEventsConsumer(TripwiredJsonConsumer):
    group: str | None = None

    async def connect(self) -> None:
        group = await _group_for(self.scope.get("user"))
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
        return None  # one-way: clients write through the REST API

    async def review_event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if isinstance(event, dict) and isinstance(event.get("type"), str):
            await self.send_json(event)
