"""A real HTTP receiver for webhook tests: ``http.server`` on 127.0.0.1 in a thread.

It answers with the status codes it is given, in turn (the last one repeats), records every
request, and acts on a delivery once per idempotency key, as a well-behaved receiver does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from review.signing import verify


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    secret: str = ""
    requests: list[Received] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)  # idempotency key -> times acted on
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def signature_ok(self, received: Received) -> bool:
        return verify(self.secret, received.headers.get("X-Quorum-Signature", ""), received.body)


@contextmanager
def receiver(statuses: list[int]) -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            rec = state["r"]
            with rec.lock:
                status = rec.next_status()
                got = Received(dict(self.headers.items()), body, status)
                rec.requests.append(got)
                key = got.headers.get("Idempotency-Key", "")
                if 200 <= status < 300 and rec.signature_ok(got) and key not in rec.applied:
                    rec.applied[key] = 1
                elif 200 <= status < 300 and key in rec.applied:
                    rec.applied[key] += 1  # a duplicate a careless sender would cause
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status < 300 else b'{"error": "try later"}')

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/quorum", statuses=list(statuses))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
