"""Fault-test kit: private Redis servers, Celery workers, uvicorn servers and a PostgreSQL proxy as real processes.

Everything started here runs in its own process group and is killed by PID (never by name); each
starter returns an object whose ``stop()`` is safe to call twice, for ``finally`` blocks.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll ``check`` until it returns something truthy (returned) or ``timeout`` seconds pass (fails)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _kill_group(proc: subprocess.Popen[bytes], *, grace: float = 10.0, sig: int = signal.SIGTERM) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it forked, by its group id."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):  # children may outlive their parent
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(timeout=10)


def tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


# --- Redis ---------------------------------------------------------------------------------------


@dataclass
class PrivateRedis:
    """A redis-server of this test alone (own port, no persistence); stop() and start() again on the same port."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> PrivateRedis:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=20, what=f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc, grace=5)
            self.proc = None


# --- Celery workers ---------------------------------------------------------------------------------


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log: Path

    def wait_ready(self, timeout: float = 90) -> Worker:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the celery worker exited with {self.proc.returncode}:\n{tail(self.log)}")
            return b"ready." in self.log.read_bytes()

        wait_for(ready, timeout=timeout, what=f"the celery worker to start; log:\n{tail(self.log)}", interval=0.2)
        return self

    def children(self) -> list[int]:
        import psutil

        try:
            return [p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)]
        except psutil.Error:
            return []

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: no cleanup, no ack, no requeue by the worker."""
        _kill_group(self.proc, grace=0, sig=signal.SIGKILL)

    def stop(self) -> None:
        _kill_group(self.proc, grace=20)


def start_worker(
    env: dict[str, str], log: Path, *, queues: Sequence[str], pool: str = "solo", concurrency: int = 1,
    name: str = "fault",
) -> Worker:
    """A real ``celery -A config worker`` (not yet waited for: call ``wait_ready()``)."""
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", ",".join(queues), f"--pool={pool}",
            "--loglevel=INFO", "-n", f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h", "--without-heartbeat",
            "--without-gossip", "--without-mingle"]
    if pool == "prefork":
        args.append(f"--concurrency={concurrency}")
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Worker(proc, log)


# --- the web server -------------------------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def request(
        self, method: str, path: str, body: Any = None, *, token: str = "", timeout: float = 30
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def upload(self, path: str, filename: str, data: bytes, *, token: str, timeout: float = 30) -> tuple[int, bytes]:
        """POST one file as multipart/form-data (field ``file``)."""
        boundary = f"fault{time.monotonic_ns()}"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", path, body=body, headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        _kill_group(self.proc, grace=15)


def start_server(env: dict[str, str], log: Path, *, timeout: float = 90) -> Server:
    """uvicorn over ``config.asgi`` in services mode; ready once it answers /healthz at all (even 503)."""
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
             "--no-access-log", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = Server(proc, port, log)

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}:\n{tail(log)}")
        try:
            server.request("GET", "/healthz", timeout=5)
            return True
        except OSError:
            return False

    try:
        wait_for(answers, timeout=timeout, what="the web server", interval=0.2)
    except BaseException:
        server.stop()
        raise
    return server


# --- PostgreSQL, as the application sees it restart --------------------------------------------------


class PgProxy:
    """A TCP proxy in front of PostgreSQL. ``restart(down_s)`` does to the application what a
    server restart does: every open connection is cut at once (a transaction in flight is rolled
    back by the server, a reply in flight is lost) and for ``down_s`` seconds new connections are
    closed as soon as they open; then connections work again. The shared server keeps running."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._down_until = 0.0
        self._stopped = threading.Event()
        self.accepted = 0
        self.refused = 0
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if time.monotonic() < self._down_until:
                self.refused += 1
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            self.accepted += 1
            with self._lock:
                self._pairs.append((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def restart(self, down_s: float) -> int:
        """Cut every connection now and refuse new ones for ``down_s`` seconds; returns how many were cut."""
        with self._lock:
            self._down_until = time.monotonic() + down_s
            pairs, self._pairs = self._pairs, []
        for client, server in pairs:
            for s in (client, server):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
        return len(pairs)

    def stop(self) -> None:
        self._stopped.set()
        self.restart(0)
        self.listener.close()
        self._thread.join(timeout=5)
