"""The export REST API: who may use it, token scopes, ranged downloads, records paging and filters."""

from __future__ import annotations

import orjson
import pytest
from rest_framework.test import APIClient

from training_export.build import run_build, snapshot_path
from training_export.models import Snapshot, SnapshotStatus
from workforce.access import actor_for
from workforce.services import token_create

from .conftest import add_item, answer


@pytest.fixture
def built_on_commit(monkeypatch):
    """Snapshots created through the API are built in process right away (the worker test covers
    the real Celery path)."""
    monkeypatch.setattr("training_export.tasks.build_snapshot.delay", lambda pk: run_build(pk))


@pytest.fixture
def labeled(world, project):
    a, b, c = world.users["annotator"], world.users["off_annotator"], world.users["on_annotator"]
    for i in range(7):
        item = add_item(project, f"r{i}")
        label = ("billing", "technical", "other")[i % 3]
        answer(item, a, [label])
        answer(item, b, [label])
        answer(item, c, [label if i % 2 else "other"])
    return project


def _create(client, project, **body):
    return client.post("/api/v1/export/snapshots", {"project": project.pk, **body}, format="json")


@pytest.mark.parametrize("username", ["off_manager", "off_annotator", "on_manager", "annotator", "reviewer"])
def test_only_internal_ml_engineers_and_admins_may_export(
    world, labeled, snapshot_dir, username, built_on_commit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        snap_id = _create(world.client("ml"), labeled).json()["id"]
    client = world.client(username)
    assert client.get("/api/v1/export/snapshots").status_code == 403
    assert _create(client, labeled).status_code == 403
    assert client.get(f"/api/v1/export/snapshots/{snap_id}").status_code == 403
    assert client.get(f"/api/v1/export/snapshots/{snap_id}/download").status_code == 403
    assert client.get(f"/api/v1/export/records?project={labeled.pk}").status_code == 403
    assert Snapshot.objects.count() == 1


def test_other_organizations_see_nothing(
    world, labeled, snapshot_dir, built_on_commit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        snap_id = _create(world.client("ml"), labeled).json()["id"]
    stranger = world.client("stranger")  # an admin of another organization
    assert stranger.get("/api/v1/export/snapshots").json()["results"] == []
    assert stranger.get(f"/api/v1/export/snapshots/{snap_id}").status_code == 404
    assert stranger.get(f"/api/v1/export/snapshots/{snap_id}/download").status_code == 404
    assert _create(stranger, labeled).status_code == 403


def test_ml_engineer_creates_lists_and_downloads(
    world, labeled, snapshot_dir, built_on_commit, django_capture_on_commit_callbacks
):
    client = world.client("ml")
    with django_capture_on_commit_callbacks(execute=True):
        response = _create(client, labeled, format="csv", split={"train": 0.5, "validation": 0.25, "test": 0.25})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    snap = Snapshot.objects.get()
    assert snap.status == SnapshotStatus.READY
    body = client.get(f"/api/v1/export/snapshots/{snap.pk}").json()
    assert body["sha256"] == snap.sha256 and body["row_count"] == 7
    assert body["download_url"] == f"/api/v1/export/snapshots/{snap.pk}/download"
    assert [s["id"] for s in client.get("/api/v1/export/snapshots").json()["results"]] == [snap.pk]
    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert download["Accept-Ranges"] == "bytes" and download["ETag"] == f'"{snap.sha256}"'
    assert b"".join(download.streaming_content) == snapshot_path(snap).read_bytes()
    assert admin_can_list(world)


def admin_can_list(world) -> bool:
    return bool(world.client("admin").get("/api/v1/export/snapshots").status_code == 200)


def test_invalid_requests_are_refused(world, labeled, snapshot_dir):
    client = world.client("ml")
    assert _create(client, labeled, format="xml").status_code == 400
    assert _create(client, labeled, format="conll").status_code == 400  # not a span project
    assert _create(client, labeled, split={"train": 0.9, "test": 0.2}).status_code == 400
    assert _create(client, labeled, filters={"nope": 1}).status_code == 400
    assert _create(client, labeled, level="raw").status_code == 400  # no reason
    assert Snapshot.objects.count() == 0


def test_range_requests_return_the_right_bytes(world, labeled, snapshot_dir):
    from training_export.services import snapshot_create

    snap = run_build(snapshot_create(actor=actor_for(world.users["ml"]), project=labeled, enqueue=False).pk)
    data = snapshot_path(snap).read_bytes()
    url = f"/api/v1/export/snapshots/{snap.pk}/download"
    client = world.client("ml")
    for header, expected, (start, end) in (
        ("bytes=0-9", data[0:10], (0, 9)),
        ("bytes=10-", data[10:], (10, len(data) - 1)),
        ("bytes=-7", data[-7:], (len(data) - 7, len(data) - 1)),
        (f"bytes=5-{len(data) + 100}", data[5:], (5, len(data) - 1)),
    ):
        response = client.get(url, HTTP_RANGE=header)
        assert response.status_code == 206, header
        assert b"".join(response.streaming_content) == expected
        assert response["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
        assert response["Content-Length"] == str(len(expected))
    bad = client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert bad.status_code == 416 and bad["Content-Range"] == f"bytes */{len(data)}"
    # If-Range with a stale validator gets the whole file
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"0000"')
    assert stale.status_code == 200


def test_token_needs_the_export_scope(world, labeled, snapshot_dir):
    actor = actor_for(world.users["ml"])
    _, read_only = token_create(actor=actor, name="r", scopes=["read"])
    _, export = token_create(actor=actor, name="e", scopes=["export"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {read_only}")
    assert client.get("/api/v1/export/snapshots").status_code == 403
    assert client.get(f"/api/v1/export/records?project={labeled.pk}").status_code == 403
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {export}")
    assert client.get("/api/v1/export/snapshots").status_code == 200
    assert client.get(f"/api/v1/export/records?project={labeled.pk}").status_code == 200
    # an annotator's export-scoped token is still refused: the role decides
    _, annotator_token = token_create(actor=actor_for(world.users["annotator"]), name="a", scopes=["export"])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {annotator_token}")
    assert client.get("/api/v1/export/snapshots").status_code == 403


def _all_records(client, url):
    out, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        out += body["results"]
        url = body["next"]
        pages += 1
        assert pages < 50
    return out, pages


def test_records_are_cursor_paginated_and_filtered(world, labeled, snapshot_dir):
    client = world.client("ml")
    base = f"/api/v1/export/records?project={labeled.pk}"
    records, pages = _all_records(client, base + "&page_size=3")
    assert [r["id"] for r in records] == [f"r{i}" for i in reversed(range(7))]  # newest first, none twice
    assert pages >= 3
    assert records[0]["labels"] == ["billing"] and records[0]["annotators"] == 3  # r6: billing x2, other x1
    billing, _ = _all_records(client, base + "&page_size=2&label=billing")
    assert sorted(r["id"] for r in billing) == ["r0", "r3", "r6"]
    full, _ = _all_records(client, base + "&min_agreement=1")
    assert sorted(r["id"] for r in full) == ["r1", "r2", "r3", "r5"]
    offshore, _ = _all_records(client, base + f"&vendor={world.offshore.pk}")
    assert all(r["annotators"] == 1 for r in offshore) and len(offshore) == 7
    assert client.get(base + "&cursor=%%%").status_code == 400
    assert client.get("/api/v1/export/records").status_code == 400  # project is required


def test_records_show_redacted_text_only(world, project, snapshot_dir):
    item = add_item(project, "x1", "Call <PHONE> today")
    answer(item, world.users["annotator"], ["billing"])
    records = world.client("ml").get(f"/api/v1/export/records?project={project.pk}").json()["results"]
    assert records[0]["text"] == "Call <PHONE> today"
    assert orjson.dumps(records).count(b"<PHONE>") == 1


def test_snapshot_list_costs_the_same_queries_for_one_or_many(
    world, labeled, snapshot_dir, django_assert_max_num_queries
):
    from training_export.services import snapshot_create

    client = world.client("ml")
    actor = actor_for(world.users["ml"])
    run_build(snapshot_create(actor=actor, project=labeled, enqueue=False).pk)
    with django_assert_max_num_queries(10) as one:
        assert len(client.get("/api/v1/export/snapshots").json()["results"]) == 1
    for _ in range(5):
        snapshot_create(actor=actor, project=labeled, enqueue=False)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/export/snapshots").json()["results"]) == 6
