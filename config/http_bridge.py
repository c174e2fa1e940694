"""HTTP under the ASGI server: Django's WSGI handler on a fixed pool of threads.

Django's own ASGI handler runs a synchronous project (every view and middleware here is sync) by
hopping event loop → thread → event loop → thread on every request, with a fresh thread-sensitive
executor per request; in the queue bench that machinery took about two thirds of the web process's
CPU. This bridge makes one hop: the request body is read on the event loop, then the whole Django
stack (middleware, URL routing, DRF, the canary tripwire) runs unchanged in one pool thread, as
under any threaded WSGI server, and the response goes back in one ``send`` (streamed responses
chunk by chunk). Websockets stay on Channels.

Each pool thread keeps its database connection through Django's usual per-request handling (the
connection pool of the services settings takes it back when the request finishes).
"""

from __future__ import annotations

import asyncio
import json
import queue
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import IO, Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Bodies up to this size stay in memory; larger uploads (imports, media) spill to a temporary file.
SPOOL_BYTES = 1 << 20
_DONE = object()  # the end of a streamed body


class ClientDisconnected(Exception):
    """The client went away before the request body arrived."""


class BodyTooLarge(Exception):
    """The request body is larger than any request may be (``max_body``)."""


async def read_body(receive: Receive, max_body: int | None = None) -> IO[bytes]:
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by the caller)
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            raise ClientDisconnected
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if max_body is not None and size > max_body:
                body.close()
                raise BodyTooLarge
            body.write(chunk)
        if not message.get("more_body", False):
            break
    body.seek(0)
    return body


def wsgi_environ(scope: Scope, body: IO[bytes]) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) for an ASGI HTTP scope."""
    script_name = scope.get("root_path", "")
    path = scope["path"]
    if script_name and path.startswith(script_name):
        path = path[len(script_name):]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class _Call:
    """One WSGI call, run in a pool thread: status and headers, then the body."""

    def __init__(self, app: WsgiApp, environ: dict[str, Any]) -> None:
        self.app, self.environ = app, environ
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.result: Iterable[bytes] = ()
        self.chunks: Iterator[bytes] = iter(())

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
        self.status = int(status.split(" ", 1)[0])
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        return self._write_unsupported

    @staticmethod
    def _write_unsupported(data: bytes) -> None:  # the legacy write() callable: Django never uses it
        raise NotImplementedError("write() is not supported")

    def begin(self) -> bytes | None:
        """Call the app. Returns the whole body for an ordinary response, None for a streamed one
        (then ``next_chunk`` gives it piece by piece)."""
        self.result = self.app(self.environ, self.start_response)
        if getattr(self.result, "streaming", False):
            self.chunks = iter(self.result)
            return None
        try:
            return b"".join(self.result)
        finally:
            self.close()

    def next_chunk(self) -> Any:
        return next(self.chunks, _DONE)

    def close(self) -> None:
        close = getattr(self.result, "close", None)
        if close is not None:
            close()  # Django's request_finished: the database connection goes back to the pool


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Workers:
    """A fixed set of threads that run functions for an event loop. Leaner than ``run_in_executor``
    (no concurrent future chained to an asyncio one): one queue put, one ``call_soon_threadsafe``."""

    def __init__(self, threads: int) -> None:
        self.size = threads
        self.queue: queue.SimpleQueue[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[[], Any]]] = (
            queue.SimpleQueue()
        )
        self.started = False
        self.lock = threading.Lock()

    def run(self, fn: Callable[[], Any]) -> asyncio.Future[Any]:
        if not self.started:
            self._start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.queue.put((loop, future, fn))
        return future

    def _start(self) -> None:
        with self.lock:  # started lazily: in the process (and after the fork) that serves
            if not self.started:
                for i in range(self.size):
                    threading.Thread(target=self._work, name=f"http-{i}", daemon=True).start()
                self.started = True

    def _work(self) -> None:
        while True:
            loop, future, fn = self.queue.get()
            try:
                result = fn()
            except BaseException as e:
                loop.call_soon_threadsafe(_resolve, future, None, e)
            else:
                loop.call_soon_threadsafe(_resolve, future, result, None)


class HttpBridge:
    """ASGI application for ``http`` scopes that runs a WSGI application on a few threads."""

    def __init__(self, app: WsgiApp, *, threads: int, max_body: int | None = None) -> None:
        self.app = app
        self.workers = Workers(threads)
        # No request may be larger than this (the largest import upload and some room): a bigger one
        # is answered 413 before it is stored anywhere, so it cannot fill the disk.
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        try:
            if self.max_body is not None and _declared_length(scope) > self.max_body:
                raise BodyTooLarge
            body = await read_body(receive, self.max_body)
        except ClientDisconnected:
            return
        except BodyTooLarge:
            await _too_large(send, self.max_body or 0)
            return
        call = _Call(self.app, wsgi_environ(scope, body))
        run = self.workers.run
        try:
            content = await run(call.begin)
            await send({"type": "http.response.start", "status": call.status, "headers": call.headers})
            if content is not None:
                await send({"type": "http.response.body", "body": content})
                return
            try:
                while True:
                    chunk = await run(call.next_chunk)
                    if chunk is _DONE:
                        break
                    await send({"type": "http.response.body", "body": bytes(chunk), "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            finally:
                await run(call.close)
        finally:
            body.close()


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _too_large(send: Send, limit: int) -> None:
    message = f"The request body is larger than {limit} bytes; nothing was stored."
    body = json.dumps({"error": {"code": "payload_too_large", "message": message, "details": []}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

