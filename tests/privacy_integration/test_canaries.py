"""Canaries: planted synthetic PII is redacted like real PII, and the tripwire catches any leak."""

from __future__ import annotations

import logging

import pytest

from annotation.models import Item
from privacy.canaries import KINDS, new_value, tripwire
from privacy.content import open_item_text
from privacy.engine import detect
from privacy.models import Canary, CanaryAlert
from tests.conftest import make_project


@pytest.fixture
def planted(world):
    project = make_project(world, vendors=[world.offshore, world.onshore])
    response = world.client("admin").post(f"/api/v1/projects/{project.pk}/canaries", {}, format="json")
    assert response.status_code == 201, response.content
    tripwire.reset()
    return project, Item.objects.get(pk=response.json()["item_id"])


@pytest.mark.parametrize("kind", KINDS)
def test_canary_values_are_detected_as_their_type(kind):
    value = new_value(kind)
    text = f"contact: {value}."
    assert any(f.type == kind and text[f.start : f.end] == value for f in detect(text)), (kind, value)


def test_planted_item_is_redacted_for_vendors_and_nothing_trips(world, planted):
    _, item = planted
    values = list(Canary.objects.filter(item_id=item.pk).values_list("value", flat=True))
    assert len(values) == len(KINDS) and all(v in open_item_text(item) for v in values)
    for user in ("off_annotator", "on_annotator"):
        body = world.client(user).get(f"/api/v1/items/{item.pk}").content.decode()
        assert not any(v in body for v in values)
    assert not CanaryAlert.objects.exists()


def test_only_admins_plant(world, planted):
    project, _ = planted
    for user in ("ml", "reviewer", "off_manager", "off_annotator"):
        assert world.client(user).post(f"/api/v1/projects/{project.pk}/canaries", {}, format="json").status_code == 403


def test_a_leaking_response_is_withheld_and_alerted(world, planted):
    _, item = planted
    leaked = Canary.objects.filter(item_id=item.pk, kind="EMAIL").get()
    # Simulate a redaction bug: the stored view holds the raw value.
    Item.objects.filter(pk=item.pk).update(text_redacted=f"mail {leaked.value}", text_pseudonymized=f"m {leaked.value}")
    response = world.client("off_annotator").get(f"/api/v1/items/{item.pk}")
    assert response.status_code == 500
    assert leaked.value not in response.content.decode()
    assert response.json()["error"]["code"] == "withheld"
    alert = CanaryAlert.objects.get()
    assert (alert.canary_id, alert.channel, alert.where, alert.user_id) == (
        leaked.pk, "http", f"/api/v1/items/{item.pk}", world.users["off_annotator"].pk,
    )
    alerts = world.client("admin").get("/api/v1/privacy/canary-alerts").json()["results"]
    assert [(a["kind"], a["channel"]) for a in alerts] == [("EMAIL", "http")]
    assert world.client("off_manager").get("/api/v1/privacy/canary-alerts").status_code == 403


def test_a_reveal_is_not_a_leak(world, planted):
    _, item = planted
    response = world.client("reviewer").post(
        f"/api/v1/items/{item.pk}/reveal", {"justification": "checking the canary item by hand"}, format="json"
    )
    assert response.status_code == 200
    assert not CanaryAlert.objects.exists()


def test_log_lines_with_a_canary_are_rewritten(world, planted, caplog):
    from privacy.canaries import CanaryLogFilter

    _, item = planted
    value = Canary.objects.filter(item_id=item.pk).first().value
    tripwire.scan("load the active canaries")  # the filter itself never queries (see Tripwire.scan)
    record = logging.LogRecord("quorum.test", logging.INFO, __file__, 1, "user wrote %s", (value,), None)
    assert CanaryLogFilter().filter(record)
    assert value not in record.getMessage()
    assert CanaryAlert.objects.filter(channel="log").count() == 1
