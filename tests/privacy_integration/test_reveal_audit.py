"""Reveal: internal, justified, time-limited, audited; the audit log is append-only and exportable."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from privacy.models import AppendOnlyError, AuditAction, AuditEntry, RevealGrant
from review.services.cases import case_create
from tests.conftest import make_project
from tests.privacy_integration.support import import_records
from workforce.access import actor_for

RAW = "Call Maria Fernandes on +44 7700 900123 about the refund."
REASON = "User appeal #4411 disputes the redaction; need the original wording."


@pytest.fixture
def item(world):
    project = make_project(world, vendors=[world.offshore, world.onshore])
    (item,) = import_records(world, project, [{"id": "r1", "text": RAW}])
    return item


def test_internal_reviewer_reveals_with_a_reason_and_it_is_audited(world, item):
    response = world.client("reviewer").post(f"/api/v1/items/{item.pk}/reveal", {"justification": REASON},
                                             format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"] == RAW and response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    assert (entry.actor, entry.reason, entry.item_ids) == (world.users["reviewer"], REASON, [item.pk])
    again = world.client("reviewer").get(f"/api/v1/items/{item.pk}/reveal")
    assert again.status_code == 200 and again.json()["text"] == RAW
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL_VIEW, item_ids=[item.pk]).count() == 1


def test_a_reveal_expires(world, item):
    world.client("reviewer").post(f"/api/v1/items/{item.pk}/reveal", {"justification": REASON}, format="json")
    RevealGrant.objects.update(expires_at=RevealGrant.objects.get().created_at - timedelta(seconds=1))
    response = world.client("reviewer").get(f"/api/v1/items/{item.pk}/reveal")
    assert response.status_code == 403
    assert RAW not in response.content.decode()


@pytest.mark.parametrize(
    ("user", "justification", "status"),
    [
        ("off_reviewer", REASON, 403),  # vendor accounts never see raw content
        ("on_annotator", REASON, 403),
        ("off_manager", REASON, 403),
        ("annotator", REASON, 403),  # internal, but not a cleared role
        ("reviewer", "because", 400),  # a justification is required
        ("stranger", REASON, 403),  # another organization
    ],
)
def test_reveal_refusals(world, item, user, justification, status):
    response = world.client(user).post(f"/api/v1/items/{item.pk}/reveal", {"justification": justification},
                                       format="json")
    assert response.status_code in (status, 404) if user == "stranger" else response.status_code == status
    assert RAW not in response.content.decode() and "Maria" not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_case_reveal_in_the_console_api(world, item):
    admin = actor_for(world.users["admin"])
    case, _ = case_create(actor=admin, item_id=item.pk, source="user_report", category="S1", severity=2)
    response = world.client("reviewer").post(f"/api/v1/cases/{case.pk}/reveal", {"reason": REASON}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["text"] == RAW
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL, item_ids=[item.pk]).exists()
    vendor = world.client("off_reviewer").post(f"/api/v1/cases/{case.pk}/reveal", {"reason": REASON}, format="json")
    assert vendor.status_code in (403, 404) and RAW not in vendor.content.decode()


def test_audit_entries_cannot_change(world, item):
    world.client("reviewer").post(f"/api/v1/items/{item.pk}/reveal", {"justification": REASON}, format="json")
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    entry.reason = "nothing to see"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    # Below the ORM too: the database refuses.
    for sql in ("UPDATE privacy_auditentry SET reason = 'x'", "DELETE FROM privacy_auditentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).reason == REASON


def test_admins_browse_and_export_the_audit_log(world, item):
    world.client("reviewer").post(f"/api/v1/items/{item.pk}/reveal", {"justification": REASON}, format="json")
    world.client("ml").post(f"/api/v1/items/{item.pk}/reveal", {"justification": "=HYPERLINK(evil) model debug"},
                            format="json")
    listing = world.client("admin").get("/api/v1/privacy/audit", {"action": "reveal"})
    assert listing.status_code == 200
    rows = listing.json()["results"]
    assert [r["actor"] for r in rows] == ["ml", "reviewer"]
    assert world.client("admin").get("/api/v1/privacy/audit", {"item": item.pk}).json()["results"]
    assert not world.client("admin").get("/api/v1/privacy/audit", {"item": item.pk + 1000}).json()["results"]
    export = world.client("admin").get("/api/v1/privacy/audit/export.csv")
    assert export.status_code == 200
    table = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert table[0] == ["id", "at", "actor", "action", "reason", "item_ids", "detail"]
    reasons = {row[4] for row in table[1:]}
    assert REASON in reasons and "'=HYPERLINK(evil) model debug" in reasons  # formula neutralized
    assert AuditEntry.objects.filter(action=AuditAction.AUDIT_EXPORT).count() == 1
    for user in ("reviewer", "off_manager", "off_annotator", "ml"):
        assert world.client(user).get("/api/v1/privacy/audit").status_code == 403
        assert world.client(user).get("/api/v1/privacy/audit/export.csv").status_code == 403
