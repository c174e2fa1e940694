"""Quality API: who sees what (vendor isolation), dashboard figures, statements over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quality.models import Statement

from .support import claim, make_annotators, make_items, project_with, submit, work


@pytest.fixture
def worked(world, django_capture_on_commit_callbacks):
    """Both vendors (and internal staff) did some work on their own projects."""
    off = project_with(world, name="Off", overlap=2)
    from tests.conftest import make_project

    on = make_project(world, vendors=[world.onshore], name="On", overlap=1)
    make_items(off, 6)
    make_items(on, 4, start=100)
    with django_capture_on_commit_callbacks(execute=True):
        work(world.users["off_annotator"], off, "billing", ms=3000)
        work(world.users["off_annotator2"], off, "other", ms=5000)
        work(world.users["on_annotator"], on, "technical", ms=7000)
    return off, on


def test_roles_and_vendor_isolation(world, worked):
    admin = world.client("admin").get("/api/v1/quality/dashboard")
    assert admin.status_code == 200
    names = {c["name"]: c for c in admin.json()["scorecards"]}
    assert set(names) == {"Offshore", "Onshore"}
    assert names["Offshore"]["submitted"] == 12 and names["Onshore"]["submitted"] == 4
    assert names["Onshore"]["median_handling_ms"] == pytest.approx(7000, rel=0.1)
    # A vendor manager sees their own vendor only, and another vendor "does not exist".
    off = world.client("off_manager").get("/api/v1/quality/dashboard")
    assert off.status_code == 200
    assert [c["name"] for c in off.json()["scorecards"]] == ["Offshore"]
    assert [v["name"] for v in off.json()["vendors"]] == ["Offshore"]
    assert world.client("off_manager").get(f"/api/v1/quality/dashboard?vendor={world.onshore.pk}").status_code == 404
    assert world.client("off_manager").get(f"/api/v1/quality/annotators?vendor={world.onshore.pk}").status_code == 404
    people = world.client("off_manager").get("/api/v1/quality/annotators").json()["results"]
    assert {p["username"] for p in people} == {"off_annotator", "off_annotator2"}
    # Annotators and reviewers have no dashboard; another organization sees none of this.
    for name in ("off_annotator", "annotator", "reviewer"):
        assert world.client(name).get("/api/v1/quality/dashboard").status_code == 403
    stranger = world.client("stranger").get("/api/v1/quality/dashboard").json()
    assert stranger["scorecards"] == []


def test_dashboard_series_cover_the_range_and_query_count_is_constant(world, worked):
    today = timezone.localdate()
    start = today - timedelta(days=13)
    client = world.client("admin")
    with CaptureQueriesContext(connection) as few:
        body = client.get(f"/api/v1/quality/dashboard?start={start}&end={today}").json()
    assert len(body["series"]) == 14 and body["series"][-1]["submitted"] == 16
    assert body["series"][-1]["cost"] == "1.00"  # 12 x 0.05 + 4 x 0.10
    assert body["totals"]["submitted"] == 16
    off, _on = worked
    more = make_annotators(world, 3, vendor=world.offshore)
    make_items(off, 10, start=500)
    for user in more:
        lease = claim(user, off)
        submit(user, lease, "billing")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/api/v1/quality/dashboard?start={start}&end={today}")
    assert len(many) == len(few)
    bad = client.get(f"/api/v1/quality/dashboard?start={today}&end={start}")
    assert bad.status_code == 400


def test_agreement_endpoint(world, worked):
    off, _ = worked
    body = world.client("admin").get(f"/api/v1/quality/projects/{off.pk}/agreement").json()
    overall = next(c for c in body["cells"] if c["scope"] == "project" and c["dimension"] == "all")
    assert overall["units"] == 6
    assert overall["alpha_nominal"] is not None and overall["alpha_nominal"] < 0  # they always disagree
    assert {a["username"] for a in body["annotators"]} == {"off_annotator", "off_annotator2"}
    # A project routed to another vendor does not exist for this vendor's manager.
    assert world.client("on_manager").get(f"/api/v1/quality/projects/{off.pk}/agreement").status_code == 404
    assert world.client("on_manager").get(f"/api/v1/quality/projects/{off.pk}/settings").status_code == 404


def test_statements_over_http(world, worked):
    today = timezone.localdate().isoformat()
    admin = world.client("admin")
    r = admin.post(
        "/api/v1/quality/statements",
        {"vendor": world.offshore.pk, "period_start": today, "period_end": today},
        format="json",
    )
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    assert r.json()["total"] == "0.60"
    assert world.client("off_manager").get(f"/api/v1/quality/statements/{sid}").status_code == 200
    assert world.client("on_manager").get(f"/api/v1/quality/statements/{sid}").status_code == 404
    assert world.client("on_manager").get(f"/api/v1/quality/statements/{sid}.csv").status_code == 404
    assert world.client("off_annotator").get("/api/v1/quality/statements").status_code == 403
    csv_body = world.client("off_manager").get(f"/api/v1/quality/statements/{sid}.csv")
    assert csv_body["Content-Type"].startswith("text/csv") and b"TOTAL" in csv_body.content
    assert world.client("off_manager").post(f"/api/v1/quality/statements/{sid}/approve").status_code == 403
    assert admin.post(f"/api/v1/quality/statements/{sid}/approve").status_code == 200
    assert admin.post(f"/api/v1/quality/statements/{sid}/approve").status_code == 409
    assert admin.delete(f"/api/v1/quality/statements/{sid}").status_code == 409
    assert Statement.objects.get(pk=sid).status == "approved"
    pytest.importorskip("fpdf")
    pdf = admin.get(f"/api/v1/quality/statements/{sid}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_ordinal_project_reports_interval_alpha_too(world, django_capture_on_commit_callbacks):
    # Severity on an ordered scale: two annotators one step apart agree better on the interval metric.
    from quality.models import QualityConfig

    project = project_with(
        world,
        name="Severity",
        overlap=2,
        label_schema={"labels": [{"value": "none"}, {"value": "low"}, {"value": "high"}]},
    )
    QualityConfig.objects.create(project=project, ordinal=True)
    make_items(project, 6)
    with django_capture_on_commit_callbacks(execute=True):
        work(world.users["off_annotator"], project, lambda lease: ["none", "low", "high"][lease.item_id % 3])
        work(world.users["off_annotator2"], project, lambda lease: ["low", "low", "high"][lease.item_id % 3])
    body = world.client("admin").get(f"/api/v1/quality/projects/{project.pk}/agreement").json()
    overall = next(c for c in body["cells"] if c["scope"] == "project" and c["dimension"] == "all")
    assert body["ordinal"] is True
    assert overall["alpha_interval"] > overall["alpha_nominal"]


def test_quality_settings_admin_writes_manager_reads(world, worked):
    off, _ = worked
    url = f"/api/v1/quality/projects/{off.pk}/settings"
    assert world.client("off_manager").get(url).json()["pause_below"] == 0.7
    assert world.client("off_manager").patch(url, {"pause_below": 0.9}, format="json").status_code == 403
    assert world.client("off_annotator").get(url).status_code == 403
    r = world.client("admin").patch(url, {"pause_below": 0.9, "qualification_items": 5}, format="json")
    assert r.status_code == 200 and r.json()["pause_below"] == 0.9 and r.json()["qualification_items"] == 5
    assert set(r.json()["overlap_targets"]) == {"billing", "technical", "other"}
    assert world.client("admin").patch(url, {"pause_below": 2}, format="json").status_code == 400
    assert world.client("stranger").get(url).status_code == 404
