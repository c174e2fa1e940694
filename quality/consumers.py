"""Live dashboard counters over Channels: ``ws/quality/``.

Admins join the organization-wide group, vendor managers only their vendor's; anyone else is refused
with CLOSE_FORBIDDEN. Events carry counts and ids, never item content.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from privacy.channels import CLOSE_FORBIDDEN, GroupEventsConsumer
from workforce.access import AccessDenied, actor_for

from .events import org_group, vendor_group
from .selectors import dashboard_scope


@database_sync_to_async
def _group_for(user: Any) -> str | None:
    try:
        scope = dashboard_scope(actor_for(user))
    except AccessDenied:
        return None
    return org_group(scope.organization_id) if scope.vendor_key is None else vendor_group(scope.vendor_key)


class DashboardEventsConsumer(GroupEventsConsumer):
    """``ws/quality/``: dashboard counters of the admin's organization or the manager's vendor."""

    async def group_for(self, user: Any) -> str | None:
        group: str | None = await _group_for(user)
        return group

    async def quality_event(self, message: dict[str, Any]) -> None:
        await self.forward(message)


__all__ = ["CLOSE_FORBIDDEN", "DashboardEventsConsumer"]
