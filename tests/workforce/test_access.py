"""The access layer: each role sees exactly what it may, through the API and the home page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from annotation.importing.pipeline import run_import
from annotation.models import Annotation, Item
from annotation.services import import_create
from tests.conftest import PASSWORD, make_project
from workforce.access import AccessDenied, actor_for, users_visible, vendors_visible
from workforce.models import Role
from workforce.services import user_create


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(r.get("name") or r.get("username") for r in response.json()["results"])


@pytest.fixture
def two_projects(world, tmp_path: Path):
    off = make_project(world, name="Offshore work", vendors=[world.offshore])
    on = make_project(world, name="Onshore work", vendors=[world.onshore])
    make_project(world, name="Internal only")
    path = tmp_path / "items.jsonl"
    path.write_text(
        '{"id": "1", "text": "call Maria at +44 7700 900123"}\n'
        '{"id": "2", "text": "pinned", "pinned_vendor": "Onshore"}\n'
        '{"id": "3", "text": "secret", "internal_only": true}\n'
    )
    for project in (off, on):
        job = import_create(actor=actor_for(world.users["ml"]), project=project, filename="i.jsonl", path=path,
                            enqueue=False)
        run_import(job.pk)
    return off, on


def test_vendor_users_see_only_their_vendor(world, two_projects):
    assert _names(world.client("off_annotator").get("/api/v1/vendors")) == ["Offshore"]
    assert _names(world.client("off_annotator").get("/api/v1/projects")) == ["Offshore work"]
    assert _names(world.client("on_annotator").get("/api/v1/projects")) == ["Onshore work"]
    assert _names(world.client("admin").get("/api/v1/projects")) == ["Internal only", "Offshore work", "Onshore work"]
    assert _names(world.client("stranger").get("/api/v1/projects")) == []


def test_items_respect_routing_pins_and_internal_only(world, two_projects):
    _, on = two_projects
    off_items = world.client("off_annotator").get("/api/v1/items").json()["results"]
    assert sorted(i["external_id"] for i in off_items) == ["1"]  # "2" is pinned to Onshore, "3" internal
    on_items = world.client("on_annotator").get("/api/v1/items").json()["results"]
    assert sorted((i["project"], i["external_id"]) for i in on_items) == [(on.pk, "1"), (on.pk, "2")]
    internal = world.client("annotator").get("/api/v1/items").json()["results"]
    assert len(internal) == 6
    other = Item.objects.get(project=on, external_id="1")
    assert world.client("off_annotator").get(f"/api/v1/items/{other.pk}").status_code == 404
    assert world.client("stranger").get(f"/api/v1/items/{other.pk}").status_code == 404


def test_item_responses_carry_redacted_text_only(world, two_projects):
    # Restricted clearance reads type placeholders; standard clearance and internal staff pseudonyms.
    for username, shown in (("off_annotator", "<PHONE>"), ("on_annotator", "<PHONE_1>"), ("annotator", "<PHONE_1>"),
                            ("admin", "<PHONE_1>")):
        body = world.client(username).get("/api/v1/items").content.decode()
        assert "+44 7700 900123" not in body and "Maria" not in body and shown in body


def test_vendor_manager_sees_only_own_people(world):
    names = _names(world.client("off_manager").get("/api/v1/users"))
    assert names == ["off_annotator", "off_annotator2", "off_manager", "off_reviewer"]
    assert set(_names(world.client("admin").get("/api/v1/users"))) == set(world.users)
    assert world.client("off_annotator").get("/api/v1/users").status_code == 403
    manager = actor_for(world.users["on_manager"])
    assert list(users_visible(manager).values_list("username", flat=True)) == ["on_annotator", "on_manager"]
    assert list(vendors_visible(manager)) == [world.onshore]


def test_annotations_are_scoped(world, two_projects):
    off, _ = two_projects
    item = Item.objects.get(project=off, external_id="1")
    Annotation.objects.create(
        item=item, annotator=world.users["off_annotator"], vendor=world.offshore, labels=["billing"]
    )
    Annotation.objects.create(item=item, annotator=world.users["annotator"], labels=["other"])
    assert len(world.client("off_annotator").get("/api/v1/annotations").json()["results"]) == 1
    assert len(world.client("off_annotator2").get("/api/v1/annotations").json()["results"]) == 0
    assert len(world.client("off_manager").get("/api/v1/annotations").json()["results"]) == 1
    assert len(world.client("on_manager").get("/api/v1/annotations").json()["results"]) == 0
    assert len(world.client("admin").get("/api/v1/annotations").json()["results"]) == 2


def test_only_internal_admins_manage_projects_and_vendors(world):
    payload = {"name": "New", "kind": "single_label", "label_schema": {"labels": [{"value": "a"}, {"value": "b"}]}}
    assert world.client("off_manager").post("/api/v1/projects", payload, format="json").status_code == 403
    assert world.client("ml").post("/api/v1/projects", payload, format="json").status_code == 403
    assert world.client("admin").post("/api/v1/projects", payload, format="json").status_code == 201
    vendor = {"name": "V", "country": "DE", "clearance": "standard"}
    assert world.client("off_manager").post("/api/v1/vendors", vendor, format="json").status_code == 403


def test_imports_visible_to_internal_ml_and_admin_only(world, two_projects):
    assert len(world.client("ml").get("/api/v1/imports").json()["results"]) == 2
    assert len(world.client("admin").get("/api/v1/imports").json()["results"]) == 2
    assert world.client("off_manager").get("/api/v1/imports").json()["results"] == []
    assert world.client("stranger").get("/api/v1/imports").json()["results"] == []


def test_inactive_vendor_locks_its_users_out(world):
    world.offshore.active = False
    world.offshore.save()
    with pytest.raises(AccessDenied):
        actor_for(world.users["off_annotator"])
    assert world.client("off_annotator").get("/api/v1/projects").status_code == 403


def test_role_constraints_hold_in_the_database(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        user_create(organization=world.org, username="bad", password=PASSWORD, role=Role.ADMIN, vendor=world.offshore)
    with pytest.raises(ValidationError):
        user_create(organization=world.org, username="bad2", password=PASSWORD, role=Role.VENDOR_MANAGER)


@pytest.mark.parametrize(
    ("username", "sees", "hidden"),
    [
        ("off_annotator", ["Offshore work"], ["Onshore work", "Internal only", "People"]),
        ("off_manager", ["Offshore work", "off_annotator2", "People"], ["Onshore work", "on_annotator"]),
        ("admin", ["Offshore work", "Onshore work", "Internal only", "on_annotator", "Recent imports"], []),
    ],
)
def test_home_page_shows_each_role_its_own(world, two_projects, username, sees, hidden):
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    page = client.get("/").content.decode()
    for text in sees:
        assert text in page, text
    for text in hidden:
        assert text not in page, text
