"""The console's websocket: who may listen, and that service events reach them after commit, with
vendor isolation (vendor groups hear only of the cases their reviewers may see)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from config.routing import websocket_urlpatterns
from review.consumers import CLOSE_FORBIDDEN
from review.services.cases import case_decide
from review.services.queue import case_claim
from tests.conftest import make_project, make_world
from tests.review.support import actor, open_case
from tests.wscomm import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)
router = URLRouter(websocket_urlpatterns)


async def _connect(user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(router, "/ws/review/")
    communicator.scope["user"] = user
    return communicator


def test_reviewers_hear_case_events_for_their_view():
    world = make_world()
    project = make_project(world, vendors=[world.offshore])
    onshore_project = make_project(world, name="Onshore", vendors=[world.onshore])

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
        internal = await _connect(world.users["reviewer"])
        vendor = await _connect(world.users["off_reviewer"])
        assert (await internal.connect(timeout=5))[0] and (await vendor.connect(timeout=5))[0]
        case = await database_sync_to_async(open_case)(world, project, severity=4)
        await database_sync_to_async(open_case)(world, onshore_project)  # not offshore's business
        await database_sync_to_async(case_claim)(actor=actor(world, "reviewer"))
        await database_sync_to_async(case_decide)(actor=actor(world, "reviewer"), case_id=case.pk,
                                                  action="escalate")
        internal_events = [await internal.receive_json_from(timeout=5) for _ in range(4)]
        vendor_events = [await vendor.receive_json_from(timeout=5) for _ in range(3)]
        quiet = await vendor.receive_nothing(timeout=0.3)
        await internal.disconnect()
        await vendor.disconnect()
        return internal_events, vendor_events, quiet

    internal, vendor, quiet = async_to_sync(scenario)()
    assert [e["type"] for e in internal] == ["case.created", "case.created", "case.claimed", "case.escalated"]
    claimed = internal[2]
    assert claimed["by"] == world.users["reviewer"].pk and claimed["state"] == "in_review"
    assert set(claimed) >= {"case", "severity", "category", "due_at", "tier"}
    assert "text" not in str(internal) and "content" not in str(internal)
    # The vendor hears of the offshore case while it is L1, and then only that it left their view.
    assert [e["type"] for e in vendor] == ["case.created", "case.claimed", "case.removed"]
    assert vendor[2] == {"type": "case.removed", "case": vendor[0]["case"]}
    assert quiet


def test_nothing_is_sent_for_a_rolled_back_write():
    world = make_world()
    project = make_project(world, vendors=[world.offshore])

    def create_and_roll_back() -> None:
        with transaction.atomic():
            open_case(world, project)
            transaction.set_rollback(True)

    async def scenario() -> bool:
        listener = await _connect(world.users["reviewer"])
        assert (await listener.connect(timeout=5))[0]
        await database_sync_to_async(create_and_roll_back)()
        nothing = await listener.receive_nothing(timeout=0.5)
        await listener.disconnect()
        return nothing

    assert async_to_sync(scenario)()


@pytest.mark.parametrize("username", ["annotator", "off_manager", "off_annotator", "anonymous"])
def test_people_who_do_not_review_are_closed_with_4403(username):
    world = make_world()
    user = AnonymousUser() if username == "anonymous" else world.users[username]

    async def scenario() -> dict[str, Any]:
        communicator = await _connect(user)
        await communicator.connect(timeout=5)
        closed = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        return closed

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
