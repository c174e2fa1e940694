"""A fine-tuning job's progress over ``ws/finetune/<id>/``: ML engineers hear it, vendors cannot listen."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.routing import URLRouter

from config.routing import websocket_urlpatterns
from tests.conftest import make_project, make_world
from tests.privacy_integration.support import import_records
from tests.wscomm import WebsocketCommunicator
from training_export.finetune.jobs import job_group
from training_export.models import FineTuneJob, Snapshot

pytestmark = pytest.mark.django_db(transaction=True)
router = URLRouter(websocket_urlpatterns)


def test_progress_reaches_ml_engineers_and_vendors_are_refused():
    world = make_world()
    project = make_project(world, vendors=[world.offshore])
    import_records(world, project, [{"id": "1", "text": "x"}])
    snap = Snapshot.objects.create(organization=world.org, project=project, created_by=world.users["ml"])
    job = FineTuneJob.objects.create(organization=world.org, name="j1", snapshot=snap, labels=["a", "b"])

    async def scenario() -> tuple[dict[str, Any], Any]:
        ml = WebsocketCommunicator(router, f"/ws/finetune/{job.pk}/")
        ml.scope["user"] = world.users["ml"]
        assert (await ml.connect(timeout=5))[0]
        vendor = WebsocketCommunicator(router, f"/ws/finetune/{job.pk}/")
        vendor.scope["user"] = world.users["off_manager"]
        await vendor.connect(timeout=5)  # accepted, then closed "forbidden" so the page does not retry
        refused = await vendor.receive_output(timeout=5)
        event = {"type": "finetune.progress", "job": job.pk, "step": 3, "total": 10, "loss": 0.5, "eta_s": 12.0}
        await get_channel_layer().group_send(job_group(job.pk), {"type": "finetune.event", "event": event})
        got = await ml.receive_json_from(timeout=5)
        await ml.disconnect()
        return got, refused

    got, refused = async_to_sync(scenario)()
    assert got["type"] == "finetune.progress" and got["step"] == 3
    assert (refused["type"], refused.get("code")) == ("websocket.close", 4403)
