"""Channels consumer for a fine-tuning job's progress (step, loss, ETA), for the ML page."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from privacy.channels import TripwiredJsonConsumer
from workforce.access import AccessDenied, actor_for

from .finetune.jobs import job_group
from .finetune_jobs import finetune_jobs_visible

CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _may_watch(user: Any, job_id: int) -> bool:
    try:
        return finetune_jobs_visible(actor_for(user)).filter(pk=job_id).exists()
    except AccessDenied:
        return False


class FineTuneEventsConsumer(TripwiredJsonConsumer):
    """``ws/finetune/<job_id>/``: forwards the job's ``finetune.event`` messages as JSON frames."""

    group: str | None = None

    async def connect(self) -> None:
        job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        if not await _may_watch(self.scope.get("user"), job_id):
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = job_group(job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return None

    async def finetune_event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if isinstance(event, dict):
            await self.send_json(event)
