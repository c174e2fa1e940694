"""Channels consumer for the review console: live case events (claimed by someone, decided,
escalated, new cases) for the organization, at ``ws/review/``.

Internal reviewers and admins join the organization's group; vendor reviewers join their vendor's
group, which hears only about cases they may see (review/events.py). Others are refused with
4403 after the handshake, so a browser does not reconnect. Events carry no content.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from privacy.channels import CLOSE_FORBIDDEN, GroupEventsConsumer
from workforce.access import AccessDenied, actor_for

from .events import org_group, vendor_group
from .selectors import reviewer_tier


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


class ReviewEventsConsumer(GroupEventsConsumer):
    """``ws/review/``: case events of the reviewer's view (organization or own vendor)."""

    async def group_for(self, user: Any) -> str | None:
        group: str | None = await _group_for(user)
        return group

    async def review_event(self, message: dict[str, Any]) -> None:
        await self.forward(message)


__all__ = ["CLOSE_FORBIDDEN", "ReviewEventsConsumer"]
