"""Channels consumers for annotation: live project events (queue counts, pause) for the workspace.

A socket joins the project's group only if the session user may see the project, by the same
selector rule as every page and API (vendor users: only projects routed to their vendor). Events
carry counts and flags, never item content, so a socket cannot leak what a page would not show.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from privacy.channels import TripwiredJsonConsumer
from workforce.access import AccessDenied, actor_for

from . import selectors
from .events import project_group

# Application close code: the handshake is accepted, then closed with this so a browser client can
# tell "not allowed" (do not reconnect) from a dropped connection (reconnect).
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _may_watch(user: Any, project_id: int) -> bool:
    try:
        selectors.project_get(actor_for(user), project_id)
    except AccessDenied:
        return False
    return True


class ProjectEventsConsumer(TripwiredJsonConsumer):
    """``ws/projects/<project_id>/``: forwards ``project.event`` group messages as JSON frames."""

    group: str | None = None

    async def connect(self) -> None:
        project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        if not await _may_watch(self.scope.get("user"), project_id):
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Join before accepting, so no event published after the client sees "open" is missed.
        self.group = project_group(project_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The socket is one-way: clients write through the REST API, never here.
        return None

    async def project_event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if isinstance(event, dict) and isinstance(event.get("type"), str):
            await self.send_json(event)
