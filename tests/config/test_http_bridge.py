"""The ASGI-to-WSGI bridge that serves HTTP: what Django sees of a request, and what the client gets
back, for ordinary, streamed and large requests, driven as the ASGI server drives it."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from config.http_bridge import SPOOL_BYTES, HttpBridge, wsgi_environ


def _scope(path: str = "/x", method: str = "GET", query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None,
           root_path: str = "") -> dict[str, Any]:
    return {
        "type": "http", "method": method, "path": path, "root_path": root_path, "query_string": query,
        "headers": headers or [], "scheme": "https", "http_version": "1.1",
        "server": ("example.test", 8443), "client": ("10.0.0.7", 51515),
    }


def _call(app: Any, scope: dict[str, Any], chunks: list[bytes]) -> tuple[int, dict[bytes, bytes], list[bytes]]:
    """Run one request through the bridge; the body arrives in ``chunks``."""
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start"
    bodies = [m["body"] for m in sent[1:]]
    assert all(m["type"] == "http.response.body" for m in sent[1:])
    assert sent[-1].get("more_body", False) is False
    return start["status"], dict(start["headers"]), bodies


def test_environ_carries_what_wsgi_promises():
    body = object()
    env = wsgi_environ(
        _scope(
            "/api/v1/caf\u00e9", "POST", b"a=1&b=%C3%A9",
            [(b"content-type", b"application/json"), (b"content-length", b"2"), (b"x-thing", b"1"),
             (b"x-thing", b"2"), (b"cookie", b"a=b")],
        ),
        body,
    )
    assert env["REQUEST_METHOD"] == "POST"
    assert env["PATH_INFO"] == "/api/v1/caf\u00e9".encode().decode("latin-1")  # PEP 3333: bytes as latin-1
    assert env["QUERY_STRING"] == "a=1&b=%C3%A9"
    assert env["CONTENT_TYPE"] == "application/json" and env["CONTENT_LENGTH"] == "2"
    assert "HTTP_CONTENT_TYPE" not in env
    assert env["HTTP_X_THING"] == "1,2" and env["HTTP_COOKIE"] == "a=b"
    assert (env["SERVER_NAME"], env["SERVER_PORT"], env["REMOTE_ADDR"]) == ("example.test", "8443", "10.0.0.7")
    assert env["wsgi.url_scheme"] == "https" and env["wsgi.input"] is body


def test_root_path_becomes_script_name():
    env = wsgi_environ(_scope("/quorum/api/v1/me", root_path="/quorum"), None)
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/quorum", "/api/v1/me")


def _echo_app(seen: dict[str, Any]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        data = environ["wsgi.input"].read()
        seen.update(length=len(data), digest=hashlib.sha256(data).hexdigest(), spooled=environ["wsgi.input"]._rolled)
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Echo", "yes")])
        return [b"got ", str(len(data)).encode()]

    return app


def test_request_body_in_pieces_small_and_large():
    for size in (0, 10, SPOOL_BYTES * 3 + 7):  # the large one spills to a temporary file
        seen: dict[str, Any] = {}
        payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        pieces = [payload[i:i + 65536] for i in range(0, len(payload), 65536)] or [b""]
        status, headers, bodies = _call(HttpBridge(_echo_app(seen), threads=2), _scope(method="POST"), pieces)
        assert status == 201 and headers[b"x-echo"] == b"yes"
        assert b"".join(bodies) == f"got {size}".encode()
        assert seen["digest"] == hashlib.sha256(payload).hexdigest()
        assert seen["spooled"] == (size > SPOOL_BYTES)
        assert len(bodies) == 1  # an ordinary response goes in one message


def test_streamed_response_is_sent_chunk_by_chunk_and_closed():
    closed: list[bool] = []

    class Streamed:
        streaming = True

        def __iter__(self):
            yield from (b"a" * 10, b"b" * 20, b"c")

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Streamed:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return Streamed()

    status, _, bodies = _call(HttpBridge(app, threads=1), _scope(), [b""])
    assert status == 200
    assert bodies == [b"a" * 10, b"b" * 20, b"c", b""]
    assert closed == [True]


def test_a_client_that_leaves_before_its_body_costs_nothing():
    called: list[bool] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        called.append(True)
        return []

    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(HttpBridge(app, threads=1)(_scope(method="POST"), receive, send))
    assert called == [] and sent == []


@pytest.mark.django_db
def test_django_behind_the_bridge():
    """The real application: a page, and an API error in the API's format."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connections

    app = HttpBridge(get_wsgi_application(), threads=1)
    try:
        host = [(b"host", b"localhost")]
        status, headers, bodies = _call(app, _scope("/healthz", headers=host), [b""])
        assert status == 200 and b"status" in b"".join(bodies)
        bad = [*host, (b"authorization", b"Bearer nope")]
        status, headers, bodies = _call(app, _scope("/api/v1/me", headers=bad), [b""])
        assert status == 401 and b'"error"' in b"".join(bodies)
        assert headers[b"content-type"] == b"application/json"
    finally:
        async def close() -> None:
            await app.workers.run(connections.close_all)  # the worker thread's own connection

        asyncio.run(close())


def test_an_exception_in_the_app_reaches_the_server():
    """Django turns view errors into 500 responses itself; anything escaping the handler is the
    server's to report (uvicorn answers 500 and logs it)."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        _call(HttpBridge(app, threads=1), _scope(), [b""])


def test_a_body_over_the_limit_is_413_and_never_reaches_the_app():
    called: list[bool] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        called.append(True)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    bridge = HttpBridge(app, threads=1, max_body=1000)
    # Declared too large: refused before reading.
    declared = _scope(method="POST", headers=[(b"content-length", b"5000")])
    status, headers, bodies = _call(bridge, declared, [b"x" * 10])
    assert status == 413 and headers[b"content-type"] == b"application/json"
    assert b"payload_too_large" in b"".join(bodies)
    # Undeclared (chunked) and too large: refused as soon as it passes the limit.
    status, _, _ = _call(bridge, _scope(method="POST"), [b"x" * 600, b"x" * 600])
    assert status == 413
    assert called == []
    status, _, _ = _call(bridge, _scope(method="POST"), [b"x" * 600, b"x" * 400])  # exactly the limit
    assert status == 200 and called == [True]
