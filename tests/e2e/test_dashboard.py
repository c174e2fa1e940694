"""The vendor dashboard in real Chromium against a real ASGI server, with screenshots.

Work is done through the real queue services before the browser opens (a low-quality annotator is
paused automatically on the way); the admin sees both vendors' scorecards and drills down to the
offshore annotators, where the paused one shows; the offshore manager sees only their vendor; an
annotator is refused. When ``ws/quality/`` is routed (config/routing.py), a submission made while
the page is open reaches it over the websocket and the totals move without a reload.
Screenshots: ``var/e2e-screenshots/dashboard_*/``.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from annotation.queueing.services import AnnotatorPaused
from quality import services
from quality.models import AnnotatorStanding, QualityConfig
from tests.annotation.queue_support import claim, make_annotators, make_items, submit
from tests.conftest import PASSWORD, make_project, make_world
from tests.e2e.test_workspace import Shots, allow_server_login, browser_page, in_thread, server, sign_in

__all__ = ["server"]  # the uvicorn fixture, shared with the workspace tests

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _live_route() -> bool:
    from config.routing import websocket_urlpatterns

    return any("ws/quality/" in str(p.pattern) for p in websocket_urlpatterns)


def setup_work() -> tuple[Any, Any, Any]:
    world = make_world()
    project = make_project(world, vendors=[world.offshore], name="Support intent", gold_rate=0.5)
    QualityConfig.objects.create(project=project, min_gold=4, pause_below=0.75)
    make_items(project, 30)
    gold = make_items(project, 12, start=9000, is_gold=True)
    for item in gold:
        item.reference = {"labels": ["billing"]}
        item.save(update_fields=["reference"])
    good, bad = world.users["off_annotator"], world.users["off_annotator2"]
    for user, answer, tries in ((good, "billing", 12), (bad, "other", 40)):
        for _ in range(tries):
            try:
                lease = claim(user, project)
            except AnnotatorPaused:
                break
            if lease is None:
                break
            submit(user, lease, answer, time_spent_ms=4000 if user == good else 1500)
    internal = make_annotators(world, 1, prefix="staff")[0]
    lease = claim(internal, project)
    submit(internal, lease, "technical", time_spent_ms=9000)
    return world, project, bad


def test_dashboard_charts_scorecards_drilldown_and_isolation(server: str) -> None:
    world, project, bad = setup_work()
    assert AnnotatorStanding.objects.get(project=project, annotator=bad).paused
    for name in ("admin", "off_manager", "off_annotator"):
        allow_server_login(world.users[name])
    shots = Shots("dashboard_admin_and_manager")
    with browser_page(shots) as page:
        sign_in(page, server, "admin")
        page.goto(f"{server}/dashboard/")
        page.wait_for_selector("#dashboard[data-state='ready']")
        # Four charts, each drawn over the 14 days shown by default.
        assert page.get_attribute("#chart-throughput svg", "data-points") == "14"
        assert page.get_attribute("#chart-cost svg", "data-points") == "14"
        names = page.locator("#scorecards tbody tr td:first-child").all_inner_texts()
        assert sorted(names) == ["Internal", "Offshore"], f"{names} (screenshots: {shots.dir})"
        shots.take(page, "admin-dashboard")
        # Drill down to the offshore annotators: the paused one is marked.
        page.click(f"#scorecards tr[data-vendor='{world.offshore.pk}']")
        page.wait_for_function(f"document.getElementById('dashboard').dataset.drill === '{world.offshore.pk}'")
        row = page.locator(f"#annotators tr[data-annotator='{bad.pk}']")
        assert "paused" in row.inner_text(), f"(screenshots: {shots.dir})"
        assert page.locator("#notices li").first.inner_text().find("paused") >= 0
        shots.take(page, "admin-drilldown")
        page.click("form[action$='logout/'] button")

        sign_in(page, server, "off_manager")
        page.goto(f"{server}/dashboard/")
        page.wait_for_selector("#dashboard[data-state='ready']")
        names = page.locator("#scorecards tbody tr td:first-child").all_inner_texts()
        assert names == ["Offshore"], f"{names} (screenshots: {shots.dir})"
        assert page.is_disabled("#f-vendor")
        assert "Onshore" not in page.content()
        # Narrowing the date range to one day redraws the charts with one point each.
        page.fill("#f-start", page.input_value("#f-end"))
        page.click("#filters button[type='submit']")
        page.wait_for_function("document.querySelector('#chart-throughput svg').dataset.points === '1'")
        shots.take(page, "manager-dashboard")
        page.click("form[action$='logout/'] button")

    # Another vendor's figures do not exist for the manager; annotators have no dashboard.
    body = _get_status(server, "off_manager", f"/api/v1/quality/dashboard?vendor={world.onshore.pk}")
    assert body == 404
    assert _get_status(server, "off_annotator", "/dashboard/") == 403


def test_dashboard_counters_update_live(server: str) -> None:
    if not _live_route():
        pytest.skip("ws/quality/ is not routed in config/routing.py yet")
    world, project, _bad = setup_work()
    allow_server_login(world.users["admin"])
    shots = Shots("dashboard_live")
    with browser_page(shots) as page:
        sign_in(page, server, "admin")
        page.goto(f"{server}/dashboard/")
        page.wait_for_selector("#dashboard[data-state='ready']")
        page.wait_for_selector("#live[data-live='live']")
        before = int(page.inner_text("[data-total='submitted']").replace(",", ""))
        loads = page.get_attribute("#dashboard", "data-loads")
        shots.take(page, "before")

        def more() -> None:
            user = world.users["off_annotator"]
            lease = claim(user, project)
            assert lease is not None
            submit(user, lease, "billing")

        services._last_event.clear()  # the once-a-second announce throttle of this process
        in_thread(more)  # a submission elsewhere: the page hears of it and re-reads the rollups
        page.wait_for_function(f"document.getElementById('dashboard').dataset.loads !== '{loads}'")
        page.wait_for_selector("#dashboard[data-state='ready']")
        after = int(page.inner_text("[data-total='submitted']").replace(",", ""))
        assert after == before + 1, f"{before} -> {after} (screenshots: {shots.dir})"
        shots.take(page, "after")


def _get_status(base: str, username: str, path: str) -> int:
    """Sign in over plain HTTP (session cookie) and GET a path; returns the status code."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"}))
    try:
        with opener.open(f"{base}{path}") as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
