"""Queue REST endpoints: shapes, status codes, errors, isolation, events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from annotation import events
from annotation.models import Annotation, Item, ItemState, Lease, LeaseState
from tests.conftest import make_project

from .queue_support import expire, make_items


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def sent(monkeypatch):
    """Realtime events sent (after commit) during the test, as (group, event)."""
    out: list[tuple[str, dict[str, object]]] = []
    monkeypatch.setattr(events, "_send", lambda group, event: out.append((group, event)))
    return out


def _claim(client, project):
    return client.post(f"/api/v1/projects/{project.pk}/claim")


def test_claim_shape_and_redacted_text(world, project):
    (item,) = make_items(project, 1, metadata={"channel": "email"}, media="https://cdn/x.png")
    response = _claim(world.client("off_annotator"), project)
    assert response.status_code == 200
    lease = response.json()["lease"]
    assert set(lease) == {"id", "expires_at", "seconds_left", "item", "suggestion"}
    assert lease["suggestion"] is None
    assert 290 <= lease["seconds_left"] <= 300
    assert lease["item"] == {
        "id": item.pk, "external_id": item.external_id, "text": item.text_redacted,
        "metadata": {"channel": "email"}, "media": "",  # an external URL Quorum cannot process: withheld
    }
    assert "+44" not in response.content.decode()
    again = _claim(world.client("off_annotator"), project)
    assert again.status_code == 200 and again.json()["lease"]["id"] == lease["id"]


def test_claim_204_when_nothing_is_free(world, project):
    assert _claim(world.client("off_annotator"), project).status_code == 204


def test_claim_409_when_paused_and_pause_resume_events(world, project, sent, django_capture_on_commit_callbacks):
    make_items(project, 1)
    admin = world.client("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/api/v1/projects/{project.pk}/pause")
    assert response.status_code == 200 and response.json() == {"id": project.pk, "paused": True}
    assert (f"project.{project.pk}", {"type": "project.paused", "project": project.pk, "paused": True}) in sent
    blocked = _claim(world.client("off_annotator"), project)
    assert blocked.status_code == 409
    assert blocked.json()["error"]["code"] == "project_paused"
    assert "paused" in blocked.json()["error"]["message"]
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(f"/api/v1/projects/{project.pk}/resume").json()["paused"] is False
    assert sent[-1][1]["type"] in ("project.paused", "queue.counts")
    assert any(e == {"type": "project.paused", "project": project.pk, "paused": False} for _, e in sent)
    assert _claim(world.client("off_annotator"), project).status_code == 200


def test_only_admins_pause(world, project):
    for name in ("off_manager", "off_annotator", "ml"):
        assert world.client(name).post(f"/api/v1/projects/{project.pk}/pause").status_code == 403


def test_who_may_claim(world, project):
    make_items(project, 3)
    assert _claim(world.client("off_manager"), project).status_code == 403
    assert _claim(world.client("ml"), project).status_code == 403
    assert _claim(world.client("on_annotator"), project).status_code == 403  # vendor not routed
    assert _claim(world.client("stranger"), project).status_code == 403  # other organization
    assert _claim(world.client("off_reviewer"), project).status_code == 200


def test_heartbeat_submit_and_idempotent_retry(world, project, sent, django_capture_on_commit_callbacks):
    (item,) = make_items(project, 1)
    client = world.client("off_annotator")
    lease_id = _claim(client, project).json()["lease"]["id"]
    beat = client.post(f"/api/v1/leases/{lease_id}/heartbeat")
    assert beat.status_code == 200 and set(beat.json()) == {"expires_at", "seconds_left"}
    body = {"labels": ["billing"], "spans": [], "comment": "", "time_spent_ms": 4200, "client_key": "abc-1"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"/api/v1/leases/{lease_id}/submit", body, format="json")
    assert first.status_code == 201
    data = first.json()
    assert set(data) == {"annotation", "undo_until"}
    assert data["annotation"]["labels"] == ["billing"] and data["annotation"]["item"] == item.pk
    assert data["annotation"]["time_spent_ms"] == 4200
    retry = client.post(f"/api/v1/leases/{lease_id}/submit", body, format="json")
    assert retry.status_code == 200 and retry.json() == data
    assert Annotation.objects.count() == 1 and Item.objects.get(pk=item.pk).annotation_count == 1
    counts = [e for _, e in sent if e["type"] == "queue.counts"]
    assert counts and counts[0]["done"] == 1 and counts[0]["project"] == project.pk
    # The lease has ended: heartbeats are refused with a clear code.
    ended = client.post(f"/api/v1/leases/{lease_id}/heartbeat")
    assert ended.status_code == 409 and ended.json()["error"]["code"] == "lease_ended"


def test_submit_validation_error_names_the_field(world, project):
    make_items(project, 1)
    client = world.client("off_annotator")
    lease_id = _claim(client, project).json()["lease"]["id"]
    response = client.post(f"/api/v1/leases/{lease_id}/submit", {"labels": ["billing", "other"]}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["details"] == [{"field": "labels", "message": "exactly one label is required"}]
    bad_time = client.post(f"/api/v1/leases/{lease_id}/submit", {"labels": ["billing"], "time_spent_ms": -1},
                           format="json")
    assert bad_time.status_code == 400 and bad_time.json()["error"]["details"][0]["field"] == "time_spent_ms"


def test_expired_lease_submit_after_someone_else_took_it(world, project):
    make_items(project, 1)
    a, b = world.client("off_annotator"), world.client("off_annotator2")
    lease_id = _claim(a, project).json()["lease"]["id"]
    expire(Lease.objects.get(pk=lease_id))
    assert _claim(b, project).status_code == 200
    response = a.post(f"/api/v1/leases/{lease_id}/submit", {"labels": ["billing"]}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "lease_expired"


def test_leases_of_others_are_404(world, project):
    make_items(project, 1)
    lease_id = _claim(world.client("off_annotator"), project).json()["lease"]["id"]
    for name in ("off_annotator2", "on_annotator", "admin", "stranger"):
        client = world.client(name)
        assert client.post(f"/api/v1/leases/{lease_id}/heartbeat").status_code == 404
        assert client.post(f"/api/v1/leases/{lease_id}/skip", {"reason": "x"}).status_code == 404
        submit = client.post(f"/api/v1/leases/{lease_id}/submit", {"labels": ["billing"]}, format="json")
        assert submit.status_code == 404
    assert world.client("off_annotator").post("/api/v1/leases/999999/heartbeat").status_code == 404
    assert Lease.objects.get(pk=lease_id).state == LeaseState.ACTIVE


def test_skip(world, project):
    first, second = make_items(project, 2)
    client = world.client("off_annotator")
    lease_id = _claim(client, project).json()["lease"]["id"]
    response = client.post(f"/api/v1/leases/{lease_id}/skip", {"reason": "unreadable"}, format="json")
    assert response.status_code == 200 and response.json() == {"item": first.pk, "reason": "unreadable"}
    assert _claim(client, project).json()["lease"]["item"]["id"] == second.pk


def test_undo(world, project):
    first, _ = make_items(project, 2)
    client = world.client("off_annotator")
    lease_id = _claim(client, project).json()["lease"]["id"]
    annotation_id = client.post(f"/api/v1/leases/{lease_id}/submit", {"labels": ["other"]}, format="json").json()[
        "annotation"
    ]["id"]
    assert world.client("off_annotator2").post(f"/api/v1/annotations/{annotation_id}/undo").status_code == 404
    response = client.post(f"/api/v1/annotations/{annotation_id}/undo")
    assert response.status_code == 200
    lease = response.json()["lease"]
    assert lease["item"]["id"] == first.pk and lease["seconds_left"] > 0
    assert Item.objects.get(pk=first.pk).state == ItemState.OPEN
    again = client.post(f"/api/v1/leases/{lease['id']}/submit", {"labels": ["billing"]}, format="json")
    assert again.status_code == 201
    Annotation.objects.filter(pk=again.json()["annotation"]["id"]).update(
        created_at=timezone.now() - timedelta(seconds=60)
    )
    late = client.post(f"/api/v1/annotations/{again.json()['annotation']['id']}/undo")
    assert late.status_code == 409 and late.json()["error"]["code"] == "undo_refused"


def test_queue_counts(world, project):
    make_items(project, 5)
    make_items(project, 2, start=50, is_gold=True)
    a = world.client("off_annotator")
    lease_id = _claim(a, project).json()["lease"]["id"]
    a.post(f"/api/v1/leases/{lease_id}/submit", {"labels": ["billing"]}, format="json")
    _claim(a, project)
    _claim(world.client("off_annotator2"), project)
    cache.clear()
    response = a.get(f"/api/v1/projects/{project.pk}/queue")
    assert response.status_code == 200
    assert response.json() == {"available": 2, "leased": 2, "done": 1, "total": 7, "mine_today": 1}
    manager = world.client("off_manager").get(f"/api/v1/projects/{project.pk}/queue")
    assert manager.status_code == 200 and manager.json()["mine_today"] == 0
    assert world.client("stranger").get(f"/api/v1/projects/{project.pk}/queue").status_code == 403


def test_claim_and_submit_query_counts(world, project, django_assert_num_queries):
    """Inside a transaction (this test's), a claim is the project with its routes and the
    annotator's quality gate in one statement, then the claim under a savepoint (a pair); a submit is
    the lease read, then the submission with its quality rollups (one statement) under a savepoint."""
    make_items(project, 3)
    client = world.client("off_annotator2")
    _claim(world.client("off_annotator"), project)
    with django_assert_num_queries(4):
        lease_id = _claim(client, project).json()["lease"]["id"]
    with django_assert_num_queries(4):
        response = client.post(
            f"/api/v1/leases/{lease_id}/submit", {"labels": ["billing"], "client_key": "q"}, format="json"
        )
    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_a_standalone_claim_is_two_statements_and_commits_alone(world, project, django_assert_num_queries):
    """Outside any transaction (as in the server) the claim statement is its own transaction: no
    savepoint, no BEGIN/COMMIT round trips. Its lease is committed when the call returns."""
    make_items(project, 2)
    with django_assert_num_queries(2):
        response = _claim(world.client("off_annotator"), project)
    lease_id = response.json()["lease"]["id"]
    from django.db import connection

    assert connection.get_autocommit() and not connection.in_atomic_block
    assert Lease.objects.filter(pk=lease_id, state=LeaseState.ACTIVE).exists()
    item = Item.objects.get(pk=response.json()["lease"]["item"]["id"])
    assert item.lease_count == 1 and item.leased_until is not None


@pytest.mark.django_db(transaction=True)
def test_a_standalone_submit_is_two_statements_and_commits_alone(
    world, project, django_assert_num_queries, monkeypatch
):
    """Outside any transaction a submit on a live lease is the lease read, then one statement that
    writes the annotation, ends the lease, counts the item and the rollups: all committed. (The live
    events it may send afterwards, at most once a second, are held back here.)"""
    import time

    from annotation.queueing import services as queue_services
    from quality import services as quality_services
    from quality.models import AnnotatorDay, SubmissionRecord

    make_items(project, 2)
    client = world.client("off_annotator")
    lease = _claim(client, project).json()["lease"]
    now = time.monotonic()
    monkeypatch.setattr(queue_services, "_last_counts_event", {project.pk: now})
    monkeypatch.setattr(quality_services, "_last_event", {world.users["off_annotator"].vendor_id: now})
    with django_assert_num_queries(2):
        response = client.post(
            f"/api/v1/leases/{lease['id']}/submit", {"labels": ["billing"], "client_key": "s1"}, format="json"
        )
    assert response.status_code == 201
    annotation_id = response.json()["annotation"]["id"]
    assert Lease.objects.get(pk=lease["id"]).state == LeaseState.SUBMITTED
    item = Item.objects.get(pk=lease["item"]["id"])
    assert (item.annotation_count, item.lease_count, item.leased_until, item.state) == (1, 0, None, "done")
    assert SubmissionRecord.objects.filter(annotation_id=annotation_id).exists()
    assert AnnotatorDay.objects.get(project=project, annotator=world.users["off_annotator"]).submitted == 1


def test_other_org_admin_cannot_see_project_queue_items(world):
    project = make_project(world, name="Internal only", vendors=[])
    make_items(project, 1)
    assert _claim(world.client("stranger"), project).status_code == 403
    assert _claim(world.client("off_annotator"), project).status_code == 403
    assert _claim(world.client("annotator"), project).status_code == 200
