"""The dashboard page (who may open it) and its live socket: admins hear their organization,
vendor managers only their vendor, annotators are refused."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from django.test import Client
from django.urls import path

from quality.consumers import CLOSE_FORBIDDEN, DashboardEventsConsumer
from tests.conftest import PASSWORD, make_world
from tests.wscomm import WebsocketCommunicator

from .support import claim, make_items, project_with, submit

# The route as config/routing.py is to carry it ("ws/quality/").
router = URLRouter([path("ws/quality/", DashboardEventsConsumer.as_asgi())])


def _page(world: Any, username: str) -> Any:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client.get("/dashboard/")


@pytest.mark.django_db
def test_dashboard_page_roles(world):
    admin = _page(world, "admin")
    assert admin.status_code == 200
    assert b'id="dashboard"' in admin.content and b"All vendors" in admin.content
    manager = _page(world, "off_manager")
    assert manager.status_code == 200
    body = manager.content.decode()
    assert "All vendors" not in body and "Onshore" not in body and "Offshore" in body
    assert _page(world, "off_annotator").status_code == 403
    assert _page(world, "reviewer").status_code == 403


async def _connect(user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(router, "/ws/quality/")
    communicator.scope["user"] = user
    return communicator


@pytest.mark.django_db(transaction=True)
def test_live_counters_reach_the_right_listeners():
    world = make_world()
    project = project_with(world)
    make_items(project, 3)

    def work_one() -> None:
        lease = claim(world.users["off_annotator"], project)
        submit(world.users["off_annotator"], lease, "billing")

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], bool, Any]:
        admin = await _connect(world.users["admin"])
        off = await _connect(world.users["off_manager"])
        on = await _connect(world.users["on_manager"])
        annotator = await _connect(world.users["off_annotator"])
        for c in (admin, off, on):
            assert (await c.connect(timeout=5))[0]
        await annotator.connect(timeout=5)
        refused = await annotator.receive_output(timeout=5)
        await database_sync_to_async(work_one)()
        a = await admin.receive_json_from(timeout=5)
        o = await off.receive_json_from(timeout=5)
        quiet = await on.receive_nothing(timeout=0.3)
        for c in (admin, off, on):
            await c.disconnect()
        return a, o, quiet, refused

    a, o, quiet, refused = async_to_sync(scenario)()
    assert a["type"] == o["type"] == "quality.changed" and a["project"] == project.pk
    assert o["vendor"] == world.offshore.pk
    assert quiet  # the other vendor's manager hears nothing
    assert refused.get("code") == CLOSE_FORBIDDEN
