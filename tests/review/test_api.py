"""The review API per role: who sees which cases (vendor isolation, tiers), who may do what, and
the whole flow of a case through REST."""

from __future__ import annotations

import pytest

from review.models import Case, Decision
from tests.conftest import make_project
from tests.review.support import RAW, REDACTED, add_item, add_user, configure, open_case


@pytest.fixture
def cases(world, project):
    """Offshore's project (``project``) and one routed to Onshore only, with cases at every tier."""
    onshore_project = make_project(world, name="Onshore work", vendors=[world.onshore])
    return {
        "l1": open_case(world, project),
        "l2": open_case(world, project, tier=2),
        "specialist": open_case(world, project, tier=3),
        "internal_item": open_case(world, project, item=add_item(project, internal_only=True)),
        "onshore": open_case(world, onshore_project),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {c["id"] for c in response.json()["results"]}


def test_who_sees_which_cases(world, cases):
    everything = {c.pk for c in cases.values()}
    for who in ("admin", "reviewer", "ml"):
        assert ids(world.client(who).get("/api/v1/cases")) == everything
    # Vendor reviewers: L1 cases of their vendor's projects only, never another vendor's or L2.
    assert ids(world.client("off_reviewer").get("/api/v1/cases")) == {cases["l1"].pk}
    # Managers and annotators who reported nothing see no cases; other organizations see none.
    for who in ("off_manager", "on_manager", "off_annotator", "on_annotator", "annotator", "stranger"):
        assert ids(world.client(who).get("/api/v1/cases")) == set(), who
    # A case one may not see answers as a case that does not exist: its id is not disclosed.
    missing = world.client("off_reviewer").get("/api/v1/cases/999999")
    assert missing.status_code == 404
    for name in ("l2", "specialist", "internal_item", "onshore"):
        response = world.client("off_reviewer").get(f"/api/v1/cases/{cases[name].pk}")
        assert (response.status_code, response.json()) == (404, missing.json()), name
        for action in ("heartbeat", "release", "decide", "escalate", "appeal"):
            post = world.client("off_reviewer").post(f"/api/v1/cases/{cases[name].pk}/{action}", {}, format="json")
            assert post.status_code in (400, 404), (name, action, post.status_code)
            assert post.status_code == 404 or action in ("decide", "escalate", "appeal"), (name, action)
    assert world.client("stranger").get(f"/api/v1/cases/{cases['l1'].pk}").status_code == 404
    assert world.client("off_reviewer").get(f"/api/v1/cases/{cases['l1'].pk}").status_code == 200


def test_filters_and_list_queries_stay_constant(world, project, django_assert_max_num_queries):
    for sev in (1, 2, 3, 4, 4):
        open_case(world, project, severity=sev)
    client = world.client("reviewer")
    assert len(ids(client.get("/api/v1/cases?severity=4"))) == 2
    assert len(ids(client.get("/api/v1/cases?state=open&tier=1"))) == 5
    assert len(ids(client.get("/api/v1/cases?breached=true"))) == 0
    with django_assert_max_num_queries(6):
        client.get("/api/v1/cases")
    for _ in range(10):
        open_case(world, project)
    with django_assert_max_num_queries(6):
        client.get("/api/v1/cases")


def test_cases_are_opened_per_source_by_the_roles_allowed_to(world, project):
    item = add_item(project)
    other_item = add_item(make_project(world, name="Internal project", vendors=[]))
    body = {"item": item.pk, "category": "S10", "severity": 3}
    cases = "/api/v1/cases"
    assert world.client("admin").post(cases, {**body, "source": "user_report"}, format="json").status_code == 201
    # The same item and category again adds the report to the open case.
    again = world.client("reviewer").post(cases, {**body, "source": "user_report", "severity": 4}, format="json")
    assert again.status_code == 200 and again.json()["severity"] == 4
    assert Case.objects.get(pk=again.json()["id"]).report_count == 2
    assert world.client("ml").post(cases, {**body, "category": "S2", "source": "model_triage", "triage_score": 0.93},
                                   format="json").status_code == 201
    # Vendor annotators escalate items they work on, at L1; they cannot file user reports.
    escalation = {**body, "category": "S5", "source": "annotator_escalation", "tier": 3}
    response = world.client("off_annotator").post(cases, escalation, format="json")
    assert response.status_code == 201 and response.json()["tier"] == 1
    assert ids(world.client("off_annotator").get(cases)) == {response.json()["id"]}
    assert world.client("off_annotator").post(cases, {**body, "source": "user_report"},
                                              format="json").status_code == 403
    assert world.client("off_annotator").post(cases, {**escalation, "item": other_item.pk},
                                              format="json").status_code == 403
    for who in ("off_manager", "stranger"):
        assert world.client(who).post(cases, {**body, "source": "user_report"}, format="json").status_code == 403
    bad = world.client("admin").post(cases, {**body, "category": "S99", "source": "user_report"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["field"] == "category"
    assert world.client("admin").post(cases, {**body, "source": "qa_sample"}, format="json").status_code == 400


def test_a_case_through_the_api_claim_decide_appeal(world, project):
    configure(world, break_after=0)
    case = open_case(world, project, category="S10", severity=3, item=add_item(project))
    off = world.client("off_reviewer")
    claimed = off.post("/api/v1/cases/claim")
    assert claimed.status_code == 200, claimed.content
    body = claimed.json()
    assert body["case"]["id"] == case.pk and body["lease"]["seconds_left"] > 0
    assert body["case"]["content"]["text"] == REDACTED and RAW not in claimed.content.decode()
    assert body["case"]["warning"].startswith("May contain slurs")
    # Heartbeat, and a repeated claim returns the same case.
    assert off.post(f"/api/v1/cases/{case.pk}/heartbeat").status_code == 200
    assert off.post("/api/v1/cases/claim").json()["case"]["id"] == case.pk
    # Others cannot decide it.
    other = world.client("reviewer").post(f"/api/v1/cases/{case.pk}/decide", {"action": "allow"}, format="json")
    assert other.status_code == 409 and other.json()["error"]["code"] == "not_held"
    missing = off.post(f"/api/v1/cases/{case.pk}/decide", {"action": "remove"}, format="json")
    assert missing.status_code == 400 and missing.json()["error"]["details"][0]["field"] == "policy_codes"
    decide = {"action": "remove", "policy_codes": ["S10"], "rationale": "slur", "client_key": "k-1"}
    first = off.post(f"/api/v1/cases/{case.pk}/decide", decide, format="json")
    assert first.status_code == 201, first.content
    retry = off.post(f"/api/v1/cases/{case.pk}/decide", decide, format="json")
    assert retry.status_code == 200 and retry.json()["decision"]["id"] == first.json()["decision"]["id"]
    assert Decision.objects.filter(case=case).count() == 1
    assert off.post("/api/v1/cases/claim").status_code == 204
    # Vendor users cannot appeal; internal staff can. The original reviewer never gets it back.
    assert off.post(f"/api/v1/cases/{case.pk}/appeal", {"reason": "x"}, format="json").status_code == 403
    appeal = world.client("admin").post(f"/api/v1/cases/{case.pk}/appeal", {"reason": "quote"}, format="json")
    assert appeal.status_code == 201, appeal.content
    illegal = world.client("admin").post(f"/api/v1/cases/{case.pk}/appeal", {}, format="json")
    assert illegal.status_code == 409 and illegal.json()["error"]["code"] == "appeal_refused"
    assert off.post("/api/v1/cases/claim").status_code == 204
    internal = world.client("reviewer")
    assert internal.post("/api/v1/cases/claim").json()["case"]["is_appeal"] is True
    assert internal.post(f"/api/v1/cases/{case.pk}/decide", {"action": "allow"}, format="json").status_code == 201
    detail = world.client("admin").get(f"/api/v1/cases/{case.pk}").json()
    assert [d["kind"] for d in detail["decisions"]] == ["review", "appeal"]
    assert detail["appeals"][0]["state"] == "overturned"


def test_escalation_via_api_and_the_vendor_loses_sight_of_it(world, project):
    case = open_case(world, project)
    off = world.client("off_reviewer")
    assert off.post("/api/v1/cases/claim").status_code == 200
    response = off.post(f"/api/v1/cases/{case.pk}/escalate", {"reason": "needs policy call"}, format="json")
    assert response.status_code == 200 and response.json()["tier"] == 2
    assert off.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert world.client("admin").post(f"/api/v1/cases/{case.pk}/escalate", {}, format="json").json()["tier"] == 3
    # An internal annotator may not see cases: not disclosed.
    assert world.client("annotator").post(f"/api/v1/cases/{case.pk}/escalate", {}, format="json").status_code == 404


def test_role_checks_on_queue_settings_webhooks_and_reports(world, project):
    open_case(world, project)
    for who in ("annotator", "off_annotator", "off_manager", "ml"):
        assert world.client(who).post("/api/v1/cases/claim").status_code == 403, who
    assert world.client("reviewer").get("/api/v1/review/settings").status_code == 200
    patch = {"exposure_caps": {"S1": 3}, "qa_sample_rate": 0.1}
    assert world.client("reviewer").patch("/api/v1/review/settings", patch, format="json").status_code == 403
    response = world.client("admin").patch("/api/v1/review/settings", patch, format="json")
    assert response.status_code == 200 and response.json()["exposure_caps"] == {"S1": 3}
    hook = {"url": "https://example.org/hooks"}
    for who in ("reviewer", "off_manager", "ml", "off_reviewer"):
        assert world.client(who).post("/api/v1/webhooks/endpoints", hook, format="json").status_code == 403
        assert world.client(who).get("/api/v1/webhooks/endpoints").status_code == 403
    created = world.client("admin").post("/api/v1/webhooks/endpoints", hook, format="json")
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    listed = world.client("admin").get("/api/v1/webhooks/endpoints").json()["results"]
    assert "secret" not in listed[0]
    assert world.client("admin").delete(f"/api/v1/webhooks/endpoints/{listed[0]['id']}").status_code == 204
    bad = world.client("admin").post("/api/v1/webhooks/endpoints", {"url": "ftp://x.org/a"}, format="json")
    assert bad.status_code == 400
    for report in ("sla", "wellness", "quality"):
        url = f"/api/v1/review/reports/{report}"
        assert world.client("admin").get(url).status_code == 200
        assert world.client("off_manager").get(url).json()["vendor"] == world.offshore.pk
        for who in ("reviewer", "off_reviewer", "annotator", "ml"):
            assert world.client(who).get(url).status_code == 403, (who, report)


def test_vendor_manager_sla_report_counts_only_their_vendor(world, project):
    add_user(world, "on_reviewer", vendor=world.onshore)
    from annotation.services import project_route
    from tests.review.support import actor

    project_route(actor=actor(world, "admin"), project=project, vendor=world.onshore)
    for _ in range(3):
        open_case(world, project)
    for who in ("off_reviewer", "on_reviewer", "reviewer"):
        client = world.client(who)
        case_id = client.post("/api/v1/cases/claim").json()["case"]["id"]
        assert client.post(f"/api/v1/cases/{case_id}/decide", {"action": "allow"}, format="json").status_code == 201
    assert world.client("admin").get("/api/v1/review/reports/sla").json()["total"]["decided"] == 3
    assert world.client("off_manager").get("/api/v1/review/reports/sla").json()["total"]["decided"] == 1
    assert "open_breached" not in world.client("on_manager").get("/api/v1/review/reports/sla").json()


def test_policies_are_versioned_and_edited_by_admins(world, project):
    listed = world.client("reviewer").get("/api/v1/policies").json()["results"]
    assert [p["version"] for p in listed] == [1]
    codes = [c["code"] for c in listed[0]["categories"]]
    assert codes == [f"S{i}" for i in range(1, 15)]
    assert listed[0]["categories"][3]["name"] == "Child Sexual Exploitation"
    new = {"name": "v2", "categories": [{"code": "S1", "name": "Violent Crimes"}, {"code": "X1", "name": "Spam"}]}
    assert world.client("reviewer").post("/api/v1/policies", new, format="json").status_code == 403
    response = world.client("admin").post("/api/v1/policies", new, format="json")
    assert response.status_code == 201 and response.json()["version"] == 2
    dup = {"name": "v3", "categories": [{"code": "S1", "name": "a"}, {"code": "S1", "name": "b"}]}
    assert world.client("admin").post("/api/v1/policies", dup, format="json").status_code == 400
    # Decisions cite codes of the version in force and remember it.
    case = open_case(world, project, category="X1")
    client = world.client("reviewer")
    assert client.post("/api/v1/cases/claim").json()["case"]["id"] == case.pk
    stale = client.post(f"/api/v1/cases/{case.pk}/decide", {"action": "remove", "policy_codes": ["S7"]},
                        format="json")
    assert stale.status_code == 400
    ok = client.post(f"/api/v1/cases/{case.pk}/decide", {"action": "remove", "policy_codes": ["X1"]}, format="json")
    assert ok.status_code == 201 and ok.json()["decision"]["policy_version"] == 2


def test_reveal_needs_an_internal_reviewer_and_a_reason(world, project):
    case = open_case(world, project)
    reason = "appeal needs the original wording"
    response = world.client("reviewer").post(f"/api/v1/cases/{case.pk}/reveal", {"reason": reason}, format="json")
    assert response.status_code == 200 and response.json()["text"] == RAW
    assert world.client("reviewer").post(f"/api/v1/cases/{case.pk}/reveal", {"reason": "short"},
                                         format="json").status_code == 400
    vendor = world.client("off_reviewer").post(f"/api/v1/cases/{case.pk}/reveal", {"reason": reason}, format="json")
    assert vendor.status_code in (403, 404) and RAW not in vendor.content.decode()
    assert world.client("stranger").post(f"/api/v1/cases/{case.pk}/reveal", {"reason": reason},
                                         format="json").status_code in (403, 404)


def test_the_schema_builds_with_review_endpoints(world):
    response = world.client("admin").get("/api/v1/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/cases/claim" in response.content.decode()


def test_the_case_under_review_shows_earlier_cases_of_the_content(world, project):
    item = add_item(project)
    first = open_case(world, project, item=item, category="S10")
    client = world.client("reviewer")
    assert client.post("/api/v1/cases/claim").json()["case"]["history"] == []
    client.post(f"/api/v1/cases/{first.pk}/decide", {"action": "restrict", "policy_codes": ["S10"]}, format="json")
    second = open_case(world, project, item=item, category="S10")  # reported again after the decision
    work = client.post("/api/v1/cases/claim").json()["case"]
    assert work["id"] == second.pk
    [earlier] = work["history"]
    assert earlier["id"] == first.pk and earlier["decisions"][0]["action"] == "restrict"
    # Vendor reviewers see the history too, as far as they may see those cases.
    assert world.client("off_reviewer").get(f"/api/v1/cases/{first.pk}").status_code == 200
