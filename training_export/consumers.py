"""Channels consumer for a fine-tuning job's progress (step, loss, ETA), for the ML page."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from privacy.channels import CLOSE_FORBIDDEN, GroupEventsConsumer
from workforce.access import AccessDenied, actor_for

from .finetune.jobs import job_group
from .finetune_jobs import finetune_jobs_visible


@database_sync_to_async
def _may_watch(user: Any, job_id: int) -> bool:
    try:
        return finetune_jobs_visible(actor_for(user)).filter(pk=job_id).exists()
    except AccessDenied:
        return False


class FineTuneEventsConsumer(GroupEventsConsumer):
    """``ws/finetune/<job_id>/``: forwards the job's ``finetune.event`` messages as JSON frames."""

    async def group_for(self, user: Any) -> str | None:
        job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        return job_group(job_id) if await _may_watch(user, job_id) else None

    async def finetune_event(self, message: dict[str, Any]) -> None:
        await self.forward(message)


__all__ = ["CLOSE_FORBIDDEN", "FineTuneEventsConsumer"]
