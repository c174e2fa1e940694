"""Channels consumers for annotation: live project events (queue counts, pause) for the workspace.

A socket joins the project's group only if the session user may see the project, by the same
selector rule as every page and API (vendor users: only projects routed to their vendor). Events
carry counts and flags, never item content, so a socket cannot leak what a page would not show.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from privacy.channels import CLOSE_FORBIDDEN, GroupEventsConsumer
from workforce.access import AccessDenied, actor_for

from . import selectors
from .events import project_group


@database_sync_to_async
def _may_watch(user: Any, project_id: int) -> bool:
    try:
        selectors.project_get(actor_for(user), project_id)
    except AccessDenied:
        return False
    return True


class ProjectEventsConsumer(GroupEventsConsumer):
    """``ws/projects/<project_id>/``: forwards ``project.event`` group messages as JSON frames."""

    async def group_for(self, user: Any) -> str | None:
        project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        return project_group(project_id) if await _may_watch(user, project_id) else None

    async def project_event(self, message: dict[str, Any]) -> None:
        await self.forward(message)


__all__ = ["CLOSE_FORBIDDEN", "ProjectEventsConsumer"]
