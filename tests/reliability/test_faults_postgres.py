"""Fault: PostgreSQL restarts while annotators claim and submit over HTTP against a real server.

The server reaches PostgreSQL through ``faultkit.PgProxy``, which can cut every connection and
refuse new ones for a moment: what a restart does to the application (the shared server itself is
never restarted). It restarts twice: once under load (requests in flight fail with a 503 JSON
error and are retried), once while the server's pooled connections sit idle (no request may fail
for it: the pool replaces dead connections). Afterwards: every acknowledged submission is stored,
no item has more answers than its overlap, nobody answered an item twice, no item is held beyond
its overlap, the counters agree with the rows, and all the work got done.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from annotation.models import Annotation, Item, ItemState, Lease, LeaseState, Project
from tests.conftest import World, content, make_project, services_env
from workforce.access import actor_for
from workforce.services import token_create

from .faultkit import PgProxy, start_server, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ITEMS, OVERLAP = 40, 2
PEOPLE = ("off_annotator", "off_annotator2", "on_annotator", "annotator")
DOWN_S = 1.5
GRACE_S = 3.0  # after the restart, requests must work again within this


class Person(threading.Thread):
    """One annotator over HTTP: claim, submit (retried with the same client key until answered)."""

    def __init__(self, name: str, port: int, project: int, token: str, stop_at: float, go: threading.Event) -> None:
        super().__init__(daemon=True)
        self.name_, self.port, self.project, self.token, self.stop_at = name, port, project, token, stop_at
        self.go, self.waiting = go, threading.Event()  # the test pauses everyone between two cycles
        self.acked: list[tuple[int, int]] = []  # (annotation id, item id)
        self.failures: list[tuple[float, str]] = []  # (monotonic time the request was sent, what)
        self.successes: list[float] = []

    def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
            conn.request("POST", path, body=json.dumps(body) if body is not None else b"", headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def call(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes] | None:
        """One request; a 5xx or a broken connection is recorded and answered None (retry)."""
        started = time.monotonic()
        try:
            status, data = self.post(path, body)
        except OSError as e:
            self.failures.append((started, f"{path}: {type(e).__name__}"))
            return None
        if status >= 500:
            self.failures.append((started, f"{path}: {status} {data[:300].decode(errors='replace')}"))
            return None
        self.successes.append(started)
        return status, data

    def run(self) -> None:
        idle = 0
        while time.monotonic() < self.stop_at and idle < 20:
            if not self.go.is_set():
                self.waiting.set()
                self.go.wait()
                self.waiting.clear()
            got = self.call(f"/api/v1/projects/{self.project}/claim")
            if got is None:
                time.sleep(0.1)
                continue
            status, data = got
            if status == 204:
                idle += 1
                time.sleep(0.1)
                continue
            assert status == 200, (status, data[:300])
            idle = 0
            lease = json.loads(data)["lease"]
            body = {"labels": ["billing"], "client_key": f"{self.name_}-{lease['item']['id']}", "time_spent_ms": 500}
            while time.monotonic() < self.stop_at:  # a client retries its submit with the same key
                answer = self.call(f"/api/v1/leases/{lease['id']}/submit", body)
                if answer is None:
                    time.sleep(0.1)
                    continue
                status, data = answer
                if status in (200, 201):
                    self.acked.append((json.loads(data)["annotation"]["id"], lease["item"]["id"]))
                else:
                    self.failures.append((time.monotonic(), f"submit refused: {status} {data[:300]!r}"))
                break


def fault_project(world: World, name: str, items: int) -> tuple[Project, dict[str, str]]:
    """A project routed to both vendors with ``items`` tickets, and an API token for each of PEOPLE."""
    project = make_project(world, vendors=[world.offshore, world.onshore], name=name, overlap=OVERLAP,
                           lease_seconds=120)
    prefix = name.lower().replace(" ", "-")
    Item.objects.bulk_create(
        Item(project=project, external_id=f"{prefix}{i}", content_hash=str(i),
             **content(project, f"{prefix}{i}", f"ticket {i}", f"ticket {i}"))
        for i in range(items)
    )
    tokens = {p: token_create(actor=actor_for(world.users[p]), name="fault", scopes=["read", "write"],
                              expires_in_days=1)[1] for p in PEOPLE}
    return project, tokens


def start_people(
    port: int, project_id: int, tokens: dict[str, str], stop_at: float, go: threading.Event, *, half_of: int
) -> list[Person]:
    """Every one of PEOPLE at work over HTTP; returns once half of ``half_of`` items are submitted."""
    go.set()
    people = [Person(p, port, project_id, tokens[p], stop_at, go) for p in PEOPLE]
    for p in people:
        p.start()
    wait_for(lambda: sum(len(p.acked) for p in people) >= half_of // 2, timeout=60, what="the first submissions")
    return people


def test_postgres_restart_during_claims_loses_and_duplicates_nothing(
    transactional_db: Any, world: World, tmp_path: Path
) -> None:
    project, tokens = fault_project(world, "PG faults", ITEMS)
    db = connection.settings_dict
    proxy = PgProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    env = services_env(DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@127.0.0.1:{proxy.port}/{db['NAME']}",
                       QUORUM_THROTTLE_USER="1000000/min", QUORUM_DB_POOL_MAX="4")
    server = None
    try:
        server = start_server(env, tmp_path / "server.log")
        stop_at = time.monotonic() + 90
        go = threading.Event()
        people = start_people(server.port, project.pk, tokens, stop_at, go, half_of=ITEMS)
        done = lambda: sum(len(p.acked) for p in people)  # noqa: E731
        restarted = time.monotonic()
        assert proxy.restart(DOWN_S) > 0  # under load: connections in use are cut
        wait_for(lambda: done() >= ITEMS, timeout=60, what="submissions after the first restart")
        # The second restart comes after the first one's grace window, so each failure has one cause.
        wait_for(lambda: time.monotonic() > restarted + DOWN_S + GRACE_S, timeout=10, what="the grace window")
        go.clear()  # everyone finishes the cycle in hand; the pool's connections go idle
        wait_for(lambda: all(p.waiting.is_set() or not p.is_alive() for p in people), timeout=30, what="a pause")
        restarted_idle = time.monotonic()
        assert proxy.restart(DOWN_S) > 0  # idle: every pooled connection dies unnoticed
        go.set()
        for p in people:
            p.join(timeout=max(1.0, stop_at - time.monotonic()))
        assert not any(p.is_alive() for p in people), "annotators still running at the deadline"
        status, _, body = server.request("GET", "/healthz")
        assert status == 200, body
    finally:
        if server is not None:
            server.stop()
        proxy.stop()

    acked = [a for p in people for a in p.acked]
    failures = [(t, f) for p in people for t, f in p.failures]
    late = [f for t, f in failures if restarted + DOWN_S + GRACE_S < t]
    assert not late, f"requests failing {GRACE_S} s after the first restart, or after the idle one: {late[:5]}"
    # A request in flight at the restart fails cleanly: a 503 with the API's error format (or the
    # connection to the server itself broke), never a 500 page.
    unclean = [f for _, f in failures if "database_unavailable" not in f and not f.endswith("Error")]
    assert not unclean, unclean[:3]
    assert any(t > restarted_idle + DOWN_S for p in people for t in p.successes), "nothing succeeded after the restart"
    refused = [f for p in people for _, f in p.failures if f.startswith("submit refused")]
    assert not refused, refused[:5]

    # Every acknowledged submission is stored, once.
    stored = dict(Annotation.objects.filter(item__project=project).values_list("pk", "item_id"))
    assert all(stored.get(pk) == item for pk, item in acked), "an acknowledged submission is missing"
    assert len({pk for pk, _ in acked}) == len(acked)
    # Nobody answered an item twice; no item has more answers than its overlap; counters match rows.
    per_pair = Annotation.objects.filter(item__project=project).values("item", "annotator").annotate(n=Count("pk"))
    assert max(row["n"] for row in per_pair) == 1
    counts = dict(
        Item.objects.filter(project=project).annotate(n=Count("annotations")).values_list("pk", "n")
    )
    assert max(counts.values()) <= OVERLAP
    for item in Item.objects.filter(project=project):
        assert item.annotation_count == counts[item.pk], f"item {item.pk}: counter {item.annotation_count}"
        assert (item.state == ItemState.DONE) == (counts[item.pk] >= OVERLAP)
    # The work finished: every item got its overlap (nothing was lost to a dead lease or counter).
    assert sum(counts.values()) == ITEMS * OVERLAP, f"{sum(counts.values())} answers of {ITEMS * OVERLAP}"
    # No lease is held twice: at most one live lease per person and project, and no item held by
    # more people than it has free slots.
    live = Lease.objects.filter(project=project, state=LeaseState.ACTIVE, expires_at__gt=timezone.now())
    assert live.values("annotator").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
    for row in live.values("item").annotate(n=Count("pk")):
        assert row["n"] + counts[row["item"]] <= OVERLAP
