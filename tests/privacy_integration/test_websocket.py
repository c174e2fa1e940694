"""Websocket frames: vendor sockets carry counts, never item content; a frame with a canary is dropped."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter

from annotation.events import project_group
from annotation.items import canary_plant
from annotation.queueing.services import annotation_submit, lease_claim
from config.routing import websocket_urlpatterns
from privacy.canaries import tripwire
from privacy.models import CanaryAlert
from tests.conftest import make_project, make_world
from tests.privacy_integration.support import import_records
from tests.wscomm import WebsocketCommunicator
from workforce.access import actor_for

pytestmark = pytest.mark.django_db(transaction=True)
router = URLRouter(websocket_urlpatterns)
RAW = "Call Olga Petrova on +44 7700 900321 or olga.p@example.com"


def test_vendor_socket_frames_never_carry_item_text_and_canary_frames_are_dropped():
    world = make_world()
    project = make_project(world, vendors=[world.offshore])
    import_records(world, project, [{"id": "w1", "text": RAW}])
    _, planted = canary_plant(actor=actor_for(world.users["admin"]), project=project)
    tripwire.reset()
    user = world.users["off_annotator"]

    async def scenario() -> tuple[list[dict[str, Any]], bool]:
        socket = WebsocketCommunicator(router, f"/ws/projects/{project.pk}/")
        socket.scope["user"] = user
        assert (await socket.connect(timeout=5))[0]
        lease = await database_sync_to_async(lease_claim)(actor=actor_for(user), project_id=project.pk)
        await database_sync_to_async(annotation_submit)(actor=actor_for(user), lease_id=lease.pk, labels=["billing"])
        frames = []
        while not await socket.receive_nothing(timeout=0.5):
            frames.append(await socket.receive_json_from(timeout=5))
        # A buggy publisher puts a canary value into an event: the frame must not leave.
        await get_channel_layer().group_send(
            project_group(project.pk),
            {"type": "project.event", "event": {"type": "debug", "note": planted[0].value}},
        )
        dropped = await socket.receive_nothing(timeout=1.0)
        await socket.disconnect()
        return frames, dropped

    frames, dropped = async_to_sync(scenario)()
    assert frames, "the submit published queue counts"
    blob = str(frames)
    for value in ("Olga", "Petrova", "7700 900321", "olga.p@example.com", *(c.value for c in planted)):
        assert value not in blob
    assert dropped
    alert = CanaryAlert.objects.get()
    assert (alert.channel, alert.canary_id, alert.user_id) == ("websocket", planted[0].pk, user.pk)
