"""manage.py serve: the web server (ASGI) plus a background worker, for embedded mode and demos."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection


class Command(BaseCommand):
    help = "Run the ASGI web server and a Celery worker for every queue until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="web only (workers run elsewhere)")

    def handle(self, *args: Any, **opts: Any) -> None:
        mode = settings.QUORUM["MODE"]
        self.stdout.write(f"Quorum: {mode} mode, database {connection.vendor}")
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"))
        procs: list[subprocess.Popen[bytes]] = []
        if not opts["no_worker"]:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,inference,training",
                     "--pool=solo", "--loglevel=INFO", "-n", "embedded@%h"],
                    env=env,
                )
            )
        web = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", opts["host"],
             "--port", str(opts["port"]), "--no-access-log",
             # Served directly, nothing in front: no forwarded headers to trust (and no per-request parse).
             "--no-proxy-headers"],
            env=env,
        )
        procs.append(web)
        self.stdout.write(f"Quorum is up on http://{opts['host']}:{opts['port']}/ (Ctrl-C stops it)")

        def stop(*_: Any) -> None:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
