"""The moderation console in real Chromium: a reviewer decides cases by keyboard alone, sees another
reviewer take a case live, and each decision reaches the source system's receiver, signed, through
a real Celery worker.

As in test_workspace.py: uvicorn in a subprocess on this run's test database (HTTP and websockets),
a real Celery worker on the default queue over Redis, and a real ``http.server`` receiver on
127.0.0.1 in a thread of this process. Screenshots under ``var/e2e-screenshots/<test>/``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from annotation.models import Item
from review.models import Case, Decision, WebhookDelivery
from review.services.cases import case_create
from review.services.queue import case_claim, case_release
from review.services.webhooks import webhook_endpoint_create
from tests.conftest import content, make_project, make_world
from tests.e2e.test_workspace import Shots, allow_server_login, browser_page, in_thread, server, sign_in
from tests.review.receiver import receiver
from tests.review.support import configure
from workforce.access import actor_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
__all__ = ["server"]  # the uvicorn fixture, shared with the workspace tests

# A small picture inline, so the page needs no other server to show media.
MEDIA = (
    "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='240' height='120'>"
    "<rect width='240' height='120' fill='%23c92a2a'/><circle cx='120' cy='60' r='40' fill='%23ffd43b'/></svg>"
)
POSTS = [
    # (external id, raw, redacted, category, severity, media)
    ("post-1", "I will hurt him at 5 Oak Lane tonight, call me on +44 7700 900123",
     "I will hurt him at <ADDRESS> tonight, call me on <PHONE>", "S1", 4, MEDIA),
    ("post-2", "Those people are vermin. Write to ben.tan@example.com to join",
     "Those people are vermin. Write to <EMAIL> to join", "S10", 3, ""),
]


def wait_for_case(page: Any, case_id: int) -> None:
    page.wait_for_selector(f"#console[data-state='working'] #case[data-case-id='{case_id}']")


def test_reviewer_decides_by_keyboard_and_the_webhook_arrives_signed(server: str, celery_worker: Any) -> None:
    world = make_world()
    configure(world, qa_sample_rate=0, break_after=0)
    project = make_project(world, vendors=[world.offshore], name="Community reports")
    admin = actor_for(world.users["admin"])
    cases: list[Case] = []
    for ext, raw, redacted, category, severity, media in POSTS:
        item = Item.objects.create(project=project, external_id=ext, **content(project, ext, raw, redacted),
                                   content_hash=ext, media=media, source_system="forum")
        case, _ = case_create(actor=admin, item_id=item.pk, source="user_report", category=category,
                              severity=severity, external_ref=f"report-{ext}", note="Reported by 3 users")
        cases.append(case)
    first, second = cases  # severity 4 due in an hour comes before severity 3 due in four
    allow_server_login(world.users["reviewer"])
    shots = Shots("console_decides_by_keyboard")

    with receiver([200]) as hook:
        endpoint = webhook_endpoint_create(actor=admin, url=hook.url)
        hook.secret = endpoint.secret
        with browser_page(shots) as page:
            sign_in(page, server, "reviewer")
            page.goto(f"{server}/console/")
            page.wait_for_selector("#live[data-live='live']")  # the websocket is up through uvicorn
            page.wait_for_selector(f"#queue tr[data-case-id='{second.pk}']")
            shots.take(page, "queue")

            page.keyboard.press("n")
            wait_for_case(page, first.pk)
            assert page.inner_text("#content") == POSTS[0][2], f"not the redacted text (screenshots: {shots.dir})"
            assert POSTS[0][1] not in page.content() and "5 Oak Lane" not in page.content()
            assert "Content warning (S1)" in page.inner_text("#case-warning")
            assert page.is_visible("#media")
            blurred = page.eval_on_selector("#media-img", "img => getComputedStyle(img).filter")
            assert "blur" in blurred and "grayscale" in blurred, blurred
            shots.take(page, "first-case-blurred")
            page.click("#media-btn")  # click to reveal (after a short transition)
            page.wait_for_function("getComputedStyle(document.getElementById('media-img')).filter === 'none'")
            shots.take(page, "media-revealed")
            page.keyboard.press("v")  # and the keyboard blurs it again
            page.wait_for_function("getComputedStyle(document.getElementById('media-img')).filter.includes('blur')")
            page.focus("#content")

            # Someone else takes the other case: the queue shows it live; then they give it back.
            in_thread(lambda: case_claim(actor=actor_for(world.users["admin"])))
            page.wait_for_selector(f"#queue tr[data-case-id='{second.pk}'][data-taken='true']")
            shots.take(page, "taken-by-someone-else")
            in_thread(lambda: case_release(actor=actor_for(world.users["admin"]), case_id=second.pk))
            page.wait_for_selector(f"#queue tr[data-case-id='{second.pk}'][data-taken='false']")

            # R then Enter: remove, citing the case's own category.
            page.keyboard.press("r")
            assert "Remove under S1" in page.inner_text("#pending")
            shots.take(page, "remove-pending")
            page.keyboard.press("Enter")
            wait_for_case(page, second.pk)
            assert page.inner_text("#content") == POSTS[1][2]
            assert page.is_hidden("#media")
            # R, 1, 0: remove under policy code 10 (S10); the second digit confirms.
            page.keyboard.press("r")
            page.keyboard.press("1")
            assert "code 1…" in page.inner_text("#pending")
            page.keyboard.press("0")
            page.wait_for_selector("#console[data-state='empty']")
            page.wait_for_function("document.querySelector('[data-count=mine]').textContent === '2'")
            page.wait_for_function("!document.querySelector('#queue tr[data-case-id]')")  # decided: gone
            shots.take(page, "queue-empty")

        # The worker sends both decisions to the receiver.
        deadline = time.monotonic() + 60
        while len(hook.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        requests = list(hook.requests)

    assert len(requests) == 2, f"the receiver got {len(requests)} requests (screenshots: {shots.dir})"
    by_case = {json.loads(r.body)["case"]["id"]: r for r in requests}
    assert set(by_case) == {first.pk, second.pk}
    for case, code in ((first, "S1"), (second, "S10")):
        request = by_case[case.pk]
        assert hook.signature_ok(request), request.headers
        body = json.loads(request.body)
        assert body["decision"]["action"] == "remove" and body["decision"]["policy_codes"] == [code]
        assert body["case"]["external_ref"] == f"report-{case.item.external_id}"
        delivery = WebhookDelivery.objects.get(decision__case=case)
        assert request.headers["Idempotency-Key"] == str(delivery.idempotency_key)
        deadline = time.monotonic() + 10
        while delivery.status != "delivered" and time.monotonic() < deadline:
            time.sleep(0.2)
            delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert hook.applied == {r.headers["Idempotency-Key"]: 1 for r in requests}

    decisions = list(Decision.objects.filter(reviewer=world.users["reviewer"]).order_by("id"))
    assert [(d.case_id, d.action, d.policy_codes) for d in decisions] == [
        (first.pk, "remove", ["S1"]), (second.pk, "remove", ["S10"]),
    ]
    assert all(0 < d.time_spent_ms < 300_000 for d in decisions)
    assert all(Case.objects.get(pk=c.pk).state == "decided" for c in cases)
