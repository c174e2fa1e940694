"""The console pages: who gets them, what the page carries, and never the raw item text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.test import Client

from tests.conftest import PASSWORD
from tests.review.support import RAW, REDACTED, open_case


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def page_config(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="console-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the console config is missing"
    config: dict[str, Any] = json.loads(match[1])
    return config


def test_console_requires_login():
    response = Client().get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_reviewers_get_the_console_with_its_keys_and_policy(world, project):
    open_case(world, project)
    for who, tier in (("reviewer", 2), ("off_reviewer", 1), ("admin", 3)):
        response = login(who).get("/console/")
        assert response.status_code == 200, who
        html = response.content.decode()
        config = page_config(html)
        assert config["me"]["tier"] == tier and config["ws"] == "/ws/review/"
        assert [c["code"] for c in config["policy"]["categories"]] == [f"S{i}" for i in range(1, 15)]
        assert [a["key"] for a in config["actions"]] == ["A", "R", "G", "E"]
        for key in ("A", "R", "G", "E", "Enter", "N", "L", "V", "C", "Esc"):
            assert f"<kbd>{key}</kbd>" in html
        assert "frontend/console.js" in html and "every reveal is audited" in html
        assert "frontend/console.css" in html  # a static file: the Content-Security-Policy allows no inline style
        css = (Path(__file__).resolve().parents[2] / "frontend/static/frontend/console.css").read_text()
        assert "filter: blur(" in css and "grayscale(1)" in css  # media blurred until revealed
        assert RAW not in html and REDACTED not in html  # content comes only through the claim API


def test_people_who_do_not_review_get_403(world):
    for who in ("annotator", "off_annotator", "off_manager", "ml"):
        assert login(who).get("/console/").status_code == 403, who


def test_the_case_page_shows_redacted_content_to_those_who_may_see_the_case(world, project):
    case = open_case(world, project, category="S10", severity=3)
    l2 = open_case(world, project, tier=2)
    html = login("off_reviewer").get(f"/console/cases/{case.pk}/").content.decode()
    assert REDACTED.replace("<", "&lt;").replace(">", "&gt;") in html
    assert RAW not in html and "12 Elm Street" not in html
    assert login("off_reviewer").get(f"/console/cases/{l2.pk}/").status_code == 404
    assert login("reviewer").get(f"/console/cases/{l2.pk}/").status_code == 200
    assert login("off_manager").get(f"/console/cases/{case.pk}/").status_code == 404
