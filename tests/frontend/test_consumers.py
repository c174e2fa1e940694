"""The project events websocket: who may listen, and that published events reach them."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from annotation.consumers import CLOSE_FORBIDDEN
from annotation.events import publish_project_event
from config.asgi import application
from config.routing import websocket_urlpatterns
from tests.conftest import PASSWORD, make_project, make_world
from tests.wscomm import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)


router = URLRouter(websocket_urlpatterns)


async def _open(path: str, user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(router, path)
    communicator.scope["user"] = user
    return communicator


def test_a_routed_annotator_receives_published_events():
    world = make_world()
    project = make_project(world, vendors=[world.offshore])
    user = world.users["off_annotator"]

    async def scenario() -> list[dict[str, Any]]:
        communicator = await _open(f"/ws/projects/{project.pk}/", user)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        await database_sync_to_async(publish_project_event)(
            project.pk, {"type": "queue.counts", "available": 7, "leased": 1, "done": 2, "total": 10}
        )
        await database_sync_to_async(publish_project_event)(project.pk, {"type": "project.paused", "paused": True})
        received = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
        await communicator.disconnect()
        return received

    received = async_to_sync(scenario)()
    assert received == [
        {"type": "queue.counts", "available": 7, "leased": 1, "done": 2, "total": 10},
        {"type": "project.paused", "paused": True},
    ]


def test_events_of_another_project_do_not_arrive():
    world = make_world()
    project = make_project(world, vendors=[world.offshore])
    other = make_project(world, name="Other", vendors=[world.offshore])

    async def scenario() -> bool:
        communicator = await _open(f"/ws/projects/{project.pk}/", world.users["off_annotator"])
        assert (await communicator.connect(timeout=5))[0]
        await database_sync_to_async(publish_project_event)(other.pk, {"type": "project.paused", "paused": True})
        nothing = await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()
        return nothing

    assert async_to_sync(scenario)()


@pytest.mark.parametrize("username", ["on_annotator", "stranger", "anonymous"])
def test_users_who_may_not_see_the_project_are_closed_with_4403(username: str):
    world = make_world()
    project = make_project(world, vendors=[world.offshore])  # not routed to onshore
    user = {"stranger": world.stranger, "anonymous": AnonymousUser()}.get(username) or world.users[username]

    async def scenario() -> tuple[dict[str, Any], bool]:
        communicator = await _open(f"/ws/projects/{project.pk}/", user)
        await communicator.connect(timeout=5)
        closed = await communicator.receive_output(timeout=5)
        # Not in the group: a published event goes nowhere near this socket.
        await database_sync_to_async(publish_project_event)(project.pk, {"type": "project.paused", "paused": True})
        nothing = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return closed, nothing

    closed, nothing = async_to_sync(scenario)()
    assert closed == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    assert nothing


def test_the_full_asgi_stack_authenticates_the_session_cookie():
    world = make_world()
    project = make_project(world, vendors=[world.offshore])
    client = Client()
    assert client.login(username="off_annotator", password=PASSWORD)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"cookie", cookie), (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]

    async def scenario(with_cookie: bool) -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(
            application, f"/ws/projects/{project.pk}/", headers=headers if with_cookie else headers[1:]
        )
        connected, _ = await communicator.connect(timeout=5)
        if with_cookie:
            await database_sync_to_async(publish_project_event)(project.pk, {"type": "project.paused", "paused": False})
            answer = await communicator.receive_json_from(timeout=5)
        else:
            answer = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        return connected, answer

    assert async_to_sync(scenario)(True) == (True, {"type": "project.paused", "paused": False})
    assert async_to_sync(scenario)(False) == (True, {"type": "websocket.close", "code": CLOSE_FORBIDDEN})


def test_a_foreign_origin_is_refused():
    world = make_world()
    project = make_project(world, vendors=[world.offshore])

    async def scenario() -> bool:
        communicator = WebsocketCommunicator(
            application, f"/ws/projects/{project.pk}/", headers=[(b"origin", b"https://evil.example")]
        )
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    assert async_to_sync(scenario)() is False
