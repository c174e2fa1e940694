"""The API docs pages in real Chromium: Swagger UI and Redoc render the schema from Quorum's own
files, under a script policy of 'self' only, with no request reaching any other host.
Screenshots: ``var/e2e-screenshots/api_docs/``."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.e2e.test_workspace import Shots, browser_page, csp_safe_wait, server

__all__ = ["server"]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e, pytest.mark.slow]


def test_swagger_and_redoc_render_from_our_own_files(server: str) -> None:
    shots = Shots("api_docs")
    with browser_page(shots) as page:
        wait = csp_safe_wait(page)
        hosts: set[str] = set()
        problems: list[str] = []
        # Every request that reached a server (Redoc's footer asks for a logo on its vendor's host: the
        # policy refuses it, so it never leaves the browser and does not count here).
        page.on("requestfinished", lambda request: hosts.add(urlparse(request.url).netloc))
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.goto(f"{server}/api/v1/docs")
        wait("() => !!document.querySelector('.swagger-ui .info .title')", timeout=30_000)
        wait("() => document.querySelectorAll('.opblock').length > 50", timeout=30_000)
        assert "Quorum API" in page.inner_text(".swagger-ui .info .title")
        shots.take(page, "swagger")
        page.goto(f"{server}/api/v1/redoc")
        wait("() => document.body.innerText.includes('Quorum API')", timeout=30_000)
        shots.take(page, "redoc")
        assert hosts - {""} == {urlparse(server).netloc}, hosts  # "": data: and blob: URLs
        blocked = [p for p in problems if ("Content Security Policy" in p or "Refused" in p) and "redoc.ly" not in p]
        assert not blocked, blocked[:3]
