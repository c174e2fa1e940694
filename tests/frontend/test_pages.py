"""The annotator workspace page and the projects page: access, content, and no raw item text."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client

from annotation.models import Item, Project
from tests.conftest import PASSWORD, World, content, make_project

RAW = "Call Jane Roe at +44 7700 900123 or jane.roe@example.com about order 5512"
REDACTED = "Call Jane Roe at <PHONE> or <EMAIL> about order 5512"


def page_config(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="workspace-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the workspace config is missing"
    config: dict[str, Any] = json.loads(match[1])
    return config


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def add_item(project: Project, external_id: str = "t-1", text: str = RAW, redacted: str = REDACTED) -> Item:
    return Item.objects.create(
        project=project, external_id=external_id, content_hash=external_id,
        **content(project, external_id, text, redacted),
    )


def test_workspace_requires_login(project: Project):
    response = Client().get(f"/work/{project.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_annotator_of_a_routed_vendor_gets_the_workspace(world: World, project: Project):
    response = login("off_annotator").get(f"/work/{project.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="item-text"' in html
    assert "frontend/workspace.js" in html
    config = page_config(html)
    assert config["project"]["id"] == project.pk
    assert [label["value"] for label in config["labels"]] == ["billing", "technical", "other"]
    assert config["ws"] == f"/ws/projects/{project.pk}/"
    # Every label has its key, and the keys are documented on the page.
    for n in (1, 2, 3):
        assert f'aria-keyshortcuts="{n}"' in html
    for key in ("Enter", "S", "U", "C"):
        assert f"<kbd>{key}</kbd>" in html


def test_vendor_user_gets_404_for_a_project_not_routed_to_their_vendor(world: World, project: Project):
    # ``project`` is routed to the offshore vendor only.
    assert login("on_annotator").get(f"/work/{project.pk}/").status_code == 404
    assert login("stranger").get(f"/work/{project.pk}/").status_code == 404
    assert login("off_annotator").get("/work/999999/").status_code == 404


def test_an_inactive_route_hides_the_project(world: World, project: Project):
    project.routes.update(active=False)
    assert login("off_annotator").get(f"/work/{project.pk}/").status_code == 404


def test_internal_annotator_reaches_any_project_of_the_organization(world: World, project: Project):
    assert login("annotator").get(f"/work/{project.pk}/").status_code == 200


def test_vendor_manager_cannot_work_a_queue(world: World, project: Project):
    assert login("off_manager").get(f"/work/{project.pk}/").status_code == 403


def test_the_page_never_contains_raw_item_text(world: World, project: Project):
    add_item(project)
    for username in ("off_annotator", "annotator", "admin"):
        html = login(username).get(f"/work/{project.pk}/").content.decode()
        assert RAW not in html
        assert "jane.roe@example.com" not in html
        assert "7700 900123" not in html
        assert login(username).get("/").status_code == 200
        assert RAW not in login(username).get("/").content.decode()


def test_guidelines_are_rendered_from_markdown_and_sanitized(world: World):
    project = make_project(
        world,
        vendors=[world.offshore],
        guidelines=(
            "## Intent\nPick the **main** reason.\n\n- *billing*: charges\n\n"
            '<script>alert("x")</script><img src="x" onerror="alert(1)">[bad](javascript:alert(1))'
        ),
    )
    html = login("off_annotator").get(f"/work/{project.pk}/").content.decode()
    assert "<h2>Intent</h2>" in html
    assert "<strong>main</strong>" in html
    assert "<em>billing</em>" in html
    assert "<script>alert" not in html
    assert "onerror" not in html
    assert "javascript:alert" not in html


def test_span_project_documents_the_selection_keys(world: World):
    project = make_project(
        world, vendors=[world.offshore], name="Entities", kind="span",
        label_schema={"labels": [{"value": "PERSON"}, {"value": "LOCATION"}]},
    )
    html = login("off_annotator").get(f"/work/{project.pk}/").content.decode()
    assert "Shift</kbd>+<kbd>←" in html
    assert 'id="spans"' in html
    config = page_config(html)
    assert config["spans"] is True


def test_home_links_projects_to_their_workspace_for_annotators(world: World, project: Project):
    other = make_project(world, name="Onshore only", vendors=[world.onshore])
    html = login("off_annotator").get("/").content.decode()
    assert f'href="/work/{project.pk}/"' in html
    assert f'href="/work/{other.pk}/"' not in html  # not routed to offshore: not listed at all
    assert 'data-count="available"' in html
    assert "frontend/projects.js" in html


def test_home_has_no_workspace_links_for_vendor_managers(world: World, project: Project):
    html = login("off_manager").get("/").content.decode()
    assert project.name in html
    assert f'href="/work/{project.pk}/"' not in html


def test_the_page_s_item_path_serves_redacted_text_with_the_session_and_csrf_token(world: World, project: Project):
    """What workspace.js does: load the page, then claim with the session cookie and the CSRF token."""
    add_item(project)
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="off_annotator", password=PASSWORD)
    html = client.get(f"/work/{project.pk}/").content.decode()
    token = page_config(html)["csrf_token"]
    assert client.post(f"/api/v1/projects/{project.pk}/claim").status_code == 403  # no token, no claim
    response = client.post(f"/api/v1/projects/{project.pk}/claim", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    lease = response.json()["lease"]
    assert lease["item"]["text"] == REDACTED
    assert RAW not in response.content.decode()
    counts = client.get(f"/api/v1/projects/{project.pk}/queue").json()
    assert set(counts) >= {"available", "leased", "done", "total", "mine_today"}
