"""The annotator workspace in real Chromium against a real ASGI server (HTTP and websockets).

The server is uvicorn in a subprocess on this run's test database (pytest-django's ``live_server``
speaks no websockets), so the tests are transactional: what they write is committed and visible to
the server, and what the browser writes is visible here. Screenshots of every step are written
under ``var/e2e-screenshots/<test>/``; the path is printed and named in assertion messages.

The browser is driven by the keyboard alone once signed in. Database reads happen outside the
Playwright block: its sync API keeps an event loop in this thread, where Django refuses ORM calls.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connections
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from annotation.models import Annotation, Item, Project, Skip
from annotation.services import project_pause
from annotation.suggestions import Suggestion, suggestions_store
from privacy.content import open_item_text
from tests.conftest import PASSWORD, ROOT, World, content, make_project, make_world, services_env
from workforce.access import actor_for
from workforce.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("QUORUM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SHOTS_ROOT = ROOT / "var" / "e2e-screenshots"
STEP_MS = 15_000  # the longest any single step may take in the browser

TICKETS = [
    ("t-1", "I was charged twice, write to anna.berg@example.com", "I was charged twice, write to <EMAIL>"),
    ("t-2", "App crashes on start, call +44 7700 900123", "App crashes on start, call <PHONE>"),
    ("t-3", "Do you have a student discount? I study in Lyon.", "Do you have a student discount? I study in Lyon."),
    ("t-4", "Please delete my account, it is jo@example.org", "Please delete my account, it is <EMAIL>"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(transactional_db: Any, tmp_path: Path) -> Iterator[str]:
    """uvicorn serving config.asgi (services mode: this run's PostgreSQL test database and Redis)."""
    port = _free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log"],
            cwd=ROOT, env=services_env(), stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if proc.returncode not in (0, -15):
            print(log.read_text()[-3000:])


class Shots:
    """Numbered screenshots of one test, in a folder named after it."""

    def __init__(self, name: str) -> None:
        self.dir = SHOTS_ROOT / name
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.n = 0
        print(f"\ne2e screenshots: {self.dir}")

    def take(self, page: Page, step: str) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def csp_safe_wait(page: Page) -> Any:
    """``page.wait_for_function`` for pages whose Content-Security-Policy has no 'unsafe-eval': Playwright's
    own one evaluates its predicate with eval inside the page, which the policy refuses. This polls through
    ``page.evaluate`` (the DevTools protocol, which the policy does not govern) instead."""

    def wait(expression: str, *, arg: Any = None, timeout: float | None = None, polling: Any = None) -> Any:
        deadline = time.monotonic() + (STEP_MS if timeout is None else timeout) / 1000
        while True:
            try:
                value = page.evaluate(expression, arg)
            except PlaywrightError as e:  # a navigation replaced the page's context: ask again
                if "context was destroyed" not in str(e) and "navigat" not in str(e):
                    raise
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise PlaywrightTimeoutError(f"waited {STEP_MS if timeout is None else timeout} ms for {expression}")
            page.wait_for_timeout(50)

    return wait


@contextmanager
def browser_page(shots: Shots) -> Iterator[Page]:
    if not Path(CHROMIUM).exists():
        # CI installs Chromium and must not pass without it; elsewhere say what is missing.
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium, or set QUORUM_CHROMIUM"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.set_default_timeout(STEP_MS)
        page.wait_for_function = csp_safe_wait(page)  # type: ignore[method-assign]
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            yield page
        except Exception:
            shots.take(page, "failure")
            raise
        finally:
            browser.close()
        assert not errors, f"JavaScript errors: {errors} (screenshots: {shots.dir})"


def allow_server_login(user: User) -> None:
    """Test settings hash passwords with MD5 for speed; the server runs the default hashers, which
    do not read MD5. Store this user's password the way the server checks it."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url(f"{base}/")


def current_item(page: Page) -> str:
    page.wait_for_selector("#workspace[data-state='working']")
    return page.get_attribute("#item", "data-item-id") or ""


def wait_for_next(page: Page, previous: str) -> None:
    """Wait until another item is on screen (or the queue shows empty)."""
    page.wait_for_function(
        """prev => {
            const ws = document.getElementById("workspace");
            const id = document.getElementById("item").dataset.itemId;
            return (ws.dataset.state === "working" && id && id !== prev) || ws.dataset.state === "empty";
        }""",
        arg=previous,
    )


def in_thread(fn: Any) -> None:
    """Run ORM work off this thread (Playwright's loop lives here) on a connection of its own."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as e:
            failure.append(e)
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    if failure:
        raise failure[0]


def setup_tickets() -> tuple[World, Project, dict[str, Item]]:
    world = make_world()
    project = make_project(
        world, vendors=[world.offshore], name="Support intent", lease_seconds=300,
        guidelines="## Intent\nPick the **main** reason the customer wrote.",
    )
    items = {
        ext: Item.objects.create(project=project, external_id=ext, **content(project, ext, raw, red),
                                 content_hash=ext, priority=10 - i)
        for i, (ext, raw, red) in enumerate(TICKETS)
    }
    return world, project, items


def test_annotator_labels_three_items_by_keyboard(server: str) -> None:
    world, project, items = setup_tickets()
    by_id = {str(item.pk): item for item in items.values()}
    allow_server_login(world.users["off_annotator"])
    shots = Shots("labels_three_items_by_keyboard")
    # (key pressed, label it stands for, comment typed)
    plan = [("1", "billing", ""), ("2", "technical", "crash on start"), ("3", "other", "")]
    labeled: dict[int, tuple[str, str]] = {}
    with browser_page(shots) as page:
        sign_in(page, server, "off_annotator")
        page.wait_for_selector(f"a[href='/work/{project.pk}/']")
        # The projects page fills in queue counts (REST, then its websocket).
        page.wait_for_function(
            "id => /\\d/.test(document.querySelector(`tr[data-project-id='${id}'] [data-count=available]`).innerText)",
            arg=project.pk,
        )
        shots.take(page, "home")
        page.goto(f"{server}/work/{project.pk}/")
        page.wait_for_selector("#live[data-live='live']")  # the websocket is up through uvicorn
        for key, label, comment in plan:
            item_id = current_item(page)
            item = by_id[item_id]
            shown = page.inner_text("#item-text")
            assert shown == item.text_redacted, f"item text is not the redacted one (screenshots: {shots.dir})"
            raw = open_item_text(item)
            assert raw not in page.content() or raw == item.text_redacted
            page.keyboard.press(key)
            assert page.get_attribute(f".label-btn[data-label='{label}']", "aria-pressed") == "true"
            if comment:
                page.keyboard.press("c")
                page.keyboard.type(comment)
                page.keyboard.press("Escape")
            shots.take(page, f"item-{item.external_id}-{label}")
            page.keyboard.press("Enter")
            wait_for_next(page, item_id)
            labeled[item.pk] = (label, comment)
        page.wait_for_function("document.querySelector('[data-count=mine_today]').textContent === '3'")
        shots.take(page, "after-three")

    user = world.users["off_annotator"]
    rows = list(Annotation.objects.filter(annotator=user).order_by("id"))
    assert len(rows) == 3, f"expected 3 annotations, got {len(rows)} (screenshots: {shots.dir})"
    for row in rows:
        label, comment = labeled[row.item_id]
        assert row.labels == [label], f"item {row.item_id}: {row.labels} != {[label]} (screenshots: {shots.dir})"
        assert row.comment == comment
        assert row.vendor_id == world.offshore.pk
        assert 0 < row.time_spent_ms < 120_000
        assert row.client_key
    # Items were served by priority: the first three tickets, in order.
    assert [r.item.external_id for r in rows] == ["t-1", "t-2", "t-3"]


def test_spans_by_keyboard_undo_and_live_pause(server: str) -> None:
    world = make_world()
    project = make_project(
        world, vendors=[world.offshore], name="Entities", kind="span",
        label_schema={"labels": [{"value": "PERSON"}, {"value": "LOCATION"}]},
        guidelines="Mark every **person** and **location**.",
    )
    # An emoji first: span offsets must be code points (as the server counts), not UTF-16 units.
    text = "🙂 Maria Garcia wrote from Lisbon."
    first = Item.objects.create(project=project, external_id="e-1", **content(project, "e-1", text, text),
                                content_hash="e-1", priority=2)
    Item.objects.create(project=project, external_id="e-2", **content(project, "e-2", "Nothing here.", "Nothing here."),
                        content_hash="e-2", priority=1)
    admin = world.users["admin"]
    allow_server_login(world.users["off_annotator"])
    shots = Shots("spans_undo_and_pause")
    with browser_page(shots) as page:
        sign_in(page, server, "off_annotator")
        page.goto(f"{server}/work/{project.pk}/")
        page.wait_for_selector("#live[data-live='live']")
        assert current_item(page) == str(first.pk)
        page.keyboard.press("ArrowRight")  # past the emoji
        page.keyboard.press("ArrowRight")  # past the space
        page.keyboard.press("Control+Shift+ArrowRight")  # "Maria"
        page.keyboard.press("Control+Shift+ArrowRight")  # "Maria Garcia"
        page.keyboard.press("1")
        page.keyboard.press("End")
        page.keyboard.press("ArrowLeft")  # before the full stop
        page.keyboard.press("Control+Shift+ArrowLeft")  # "Lisbon"
        page.keyboard.press("2")
        assert page.locator("#spans li:not(.none)").count() == 2
        shots.take(page, "two-spans")
        page.keyboard.press("Enter")
        wait_for_next(page, str(first.pk))
        shots.take(page, "next-item")
        # Undo brings the item back with its spans; submitting again records it once.
        page.keyboard.press("u")
        page.wait_for_function(f"document.getElementById('item').dataset.itemId === '{first.pk}'")
        assert page.locator("#spans li:not(.none)").count() == 2
        shots.take(page, "undone")
        page.keyboard.press("Enter")
        wait_for_next(page, str(first.pk))
        # The mouse selects a span too: drag over "Nothing", then a number key labels it.
        second_id = current_item(page)
        box = page.evaluate(
            """() => {
                const walker = document.createTreeWalker(document.getElementById("item-text"), NodeFilter.SHOW_TEXT);
                const node = walker.nextNode();
                const range = document.createRange();
                range.setStart(node, 0);
                range.setEnd(node, "Nothing".length);
                const r = range.getBoundingClientRect();
                return {left: r.left, right: r.right, y: r.top + r.height / 2};
            }"""
        )
        page.mouse.move(box["left"] + 1, box["y"])
        page.mouse.down()
        page.mouse.move(box["right"] - 1, box["y"], steps=5)
        page.mouse.up()
        page.keyboard.press("1")
        assert page.locator("#spans li:not(.none)").count() == 1
        shots.take(page, "mouse-span")
        page.keyboard.press("Enter")
        wait_for_next(page, second_id)
        # A pause published by the service reaches the open page over the websocket.
        in_thread(lambda: project_pause(actor=actor_for(admin), project=Project.objects.get(pk=project.pk),
                                        paused=True))
        page.wait_for_selector("#paused-banner:not([hidden])")
        shots.take(page, "paused")
        in_thread(lambda: project_pause(actor=actor_for(admin), project=Project.objects.get(pk=project.pk),
                                        paused=False))
        page.wait_for_selector("#paused-banner[hidden]", state="attached")
        page.wait_for_selector("#workspace[data-state='empty']")  # resumed, and it asked for work again

    rows = list(Annotation.objects.filter(annotator=world.users["off_annotator"]).order_by("id"))
    assert len(rows) == 2, f"expected two annotations after undo and resubmit (screenshots: {shots.dir})"
    assert rows[1].spans == [{"start": 0, "end": len("Nothing"), "label": "PERSON"}]
    start = len("🙂 ")
    assert rows[0].spans == [
        {"start": start, "end": start + len("Maria Garcia"), "label": "PERSON"},
        {"start": text.index("Lisbon"), "end": text.index("Lisbon") + len("Lisbon"), "label": "LOCATION"},
    ], f"spans {rows[0].spans} (screenshots: {shots.dir})"
    assert rows[0].labels == []


def test_skip_and_model_suggestion_on_a_multi_label_project(server: str) -> None:
    world = make_world()
    project = make_project(
        world, vendors=[world.offshore], name="Post flags", kind="multi_label",
        label_schema={"labels": [{"value": "spam"}, {"value": "abuse"}, {"value": "ok"}]},
    )
    skipped = Item.objects.create(project=project, external_id="p-1", **content(project, "p-1", "???", "???"),
                                  content_hash="p-1", priority=2)
    flagged = Item.objects.create(project=project, external_id="p-2",
                                  **content(project, "p-2", "Buy followers now", "Buy followers now"),
                                  content_hash="p-2", priority=1)
    allow_server_login(world.users["off_annotator"])
    shots = Shots("skip_and_suggestion")
    # Stored the way the inference worker stores its pre-labels (the model itself runs in
    # tests/inference/test_prelabel.py); the claim serves it and the page pre-selects it.
    suggestions_store(
        project=project,
        suggestions=[Suggestion(item_id=flagged.pk, labels=["spam", "abuse"], confidence=0.87,
                                scores={"spam": 0.87, "abuse": 0.61, "ok": 0.05})],
        model_version="smollm2-135m-q4_0",
    )

    with browser_page(shots) as page:
        sign_in(page, server, "off_annotator")
        page.goto(f"{server}/work/{project.pk}/")
        assert current_item(page) == str(skipped.pk)
        page.keyboard.press("s")
        page.wait_for_selector("#skip-dialog[open]")
        shots.take(page, "skip-dialog")
        page.keyboard.press("Enter")  # the default reason
        wait_for_next(page, str(skipped.pk))
        assert current_item(page) == str(flagged.pk)
        assert "87%" in page.inner_text("#suggestion")
        assert page.get_attribute(".label-btn[data-label='spam']", "aria-pressed") == "true"
        assert page.get_attribute(".label-btn[data-label='abuse']", "aria-pressed") == "true"
        page.keyboard.press("2")  # turn "abuse" off
        page.keyboard.press("3")  # and "ok" on, then off again
        page.keyboard.press("3")
        shots.take(page, "suggestion-edited")
        page.keyboard.press("Enter")
        page.wait_for_selector("#workspace[data-state='empty']")
        shots.take(page, "queue-empty")

    skip = Skip.objects.get(annotator=world.users["off_annotator"])
    assert (skip.item_id, skip.reason) == (skipped.pk, "Unclear or ambiguous")
    row = Annotation.objects.get(annotator=world.users["off_annotator"])
    assert (row.item_id, row.labels) == (flagged.pk, ["spam"]), f"{row.labels} (screenshots: {shots.dir})"
