"""A minimal websocket test communicator shared by the consumer tests.

It does what ``channels.testing.WebsocketCommunicator`` does for these tests; that package imports
daphne at import time (for its live-server case), which Quorum does not install.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

from asgiref.testing import ApplicationCommunicator


class WebsocketCommunicator:
    """The few calls of ``channels.testing.WebsocketCommunicator`` these tests need. That package
    imports daphne at import time (for its live-server case), which Quorum does not install."""

    def __init__(self, application: Any, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.scope: dict[str, Any] = {
            "type": "websocket", "path": path, "query_string": b"", "headers": headers or [], "subprotocols": [],
        }
        self.app = application
        self._comm: Any = None

    def _communicator(self) -> Any:
        if self._comm is None:  # built lazily so a test can still set scope["user"]
            self._comm = ApplicationCommunicator(self.app, self.scope)
        return self._comm

    # As channels' own communicator does: the consumer must not close the test's DB connection.
    async def send_input(self, message: dict[str, Any]) -> None:
        with mock.patch("channels.db.close_old_connections", lambda: None):
            await self._communicator().send_input(message)

    async def receive_output(self, timeout: float = 1) -> dict[str, Any]:
        with mock.patch("channels.db.close_old_connections", lambda: None):
            out: dict[str, Any] = await self._communicator().receive_output(timeout)
            return out

    async def receive_nothing(self, timeout: float = 0.1) -> bool:
        return bool(await self._communicator().receive_nothing(timeout))

    async def connect(self, timeout: float = 1) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, response.get("subprotocol")

    async def receive_json_from(self, timeout: float = 1) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 1) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self._communicator().wait(timeout)
