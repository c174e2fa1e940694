"""Reviewer wellness as managers see it: aggregates only, never a case or a decision; and the
reviewer's own view of their exposure."""

from __future__ import annotations

from typing import Any

from review.models import ReviewerWellness
from review.services.cases import case_decide
from review.services.queue import case_claim
from tests.conftest import make_project
from tests.review.support import actor, add_user, claim, configure, now, open_case

# Keys that would name a case, a decision, its content or a person's individual work.
FORBIDDEN_KEYS = {"case", "cases_list", "decision", "decisions", "item", "items_list", "action", "rationale",
                  "policy_codes", "reviewer", "username", "user", "text", "content", "assignee", "id"}


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def work(world, name: str, n: int) -> list[int]:
    done = []
    for _ in range(n):
        lease = case_claim(actor=actor(world, name))
        assert lease is not None
        case_decide(actor=actor(world, name), case_id=lease.case_id, action="remove", policy_codes=["S11"],
                    rationale="self-harm instructions")
        done.append(lease.case_id)
    return done


def test_wellness_report_has_aggregates_and_no_per_decision_data(world, project):
    configure(world, exposure_caps={"S11": 2}, severe_severity=3, break_after=3, break_minutes=10)
    add_user(world, "off_reviewer2", vendor=world.offshore)
    for _ in range(4):
        open_case(world, project, category="S11", severity=4)
    for _ in range(2):
        open_case(world, project, category="S2", severity=1)
    decided = work(world, "off_reviewer", 2) + work(world, "off_reviewer2", 1) + work(world, "reviewer", 1)
    ReviewerWellness.objects.filter(reviewer=world.users["reviewer"]).update(break_until=None)

    admin = world.client("admin").get("/api/v1/review/reports/wellness").json()
    assert not keys(admin) & FORBIDDEN_KEYS, keys(admin) & FORBIDDEN_KEYS
    assert set(admin) == {"day", "vendor", "caps", "categories", "reviewers", "breaks", "on_break_now"}
    [s11] = [c for c in admin["categories"] if c["category"] == "S11"]
    assert s11 == {"category": "S11", "reviewers": 3, "items": 4, "severe": 4, "avg_per_reviewer": 1.33,
                   "max_per_reviewer": 2, "cap": 2, "reviewers_at_cap": 1}
    assert admin["reviewers"] == 3
    text = str(admin)
    assert "self-harm" not in text and "remove" not in text
    assert not any(f"'{pk}'" in text for pk in decided)

    # A vendor manager sees their vendor's reviewers only, aggregated the same way.
    vendor = world.client("off_manager").get("/api/v1/review/reports/wellness").json()
    assert not keys(vendor) & FORBIDDEN_KEYS
    [s11] = [c for c in vendor["categories"] if c["category"] == "S11"]
    assert (s11["reviewers"], s11["items"], vendor["vendor"]) == (2, 3, world.offshore.pk)
    assert world.client("on_manager").get("/api/v1/review/reports/wellness").json()["categories"] == []
    for who in ("reviewer", "off_reviewer", "annotator", "ml"):
        assert world.client(who).get("/api/v1/review/reports/wellness").status_code == 403


def test_breaks_are_counted_in_the_report(world, project):
    configure(world, severe_severity=3, break_after=1, break_minutes=10)
    for _ in range(2):
        open_case(world, project, category="S1", severity=4)
    work(world, "reviewer", 1)
    response = world.client("reviewer").post("/api/v1/cases/claim")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "break_required" and error["break_until"]
    report = world.client("admin").get("/api/v1/review/reports/wellness").json()
    assert (report["breaks"], report["on_break_now"]) == (1, 1)


def test_a_reviewer_sees_their_own_exposure_against_the_caps(world, project):
    configure(world, exposure_caps={"S1": 1, "S4": 5})
    open_case(world, project, category="S1")
    work_project = make_project(world, name="Other", vendors=[world.offshore])
    open_case(world, work_project, category="S1")
    lease = claim(world, "reviewer")
    case_decide(actor=actor(world, "reviewer"), case_id=lease.case_id, action="allow")
    mine = world.client("reviewer").get("/api/v1/review/me/wellness").json()
    assert mine["capped"] == ["S1"]
    assert {e["category"]: (e["items"], e["cap"]) for e in mine["exposure"]} == {"S1": (1, 1), "S4": (0, 5)}
    assert mine["break_until"] is None and mine["day"] == str(now().date())
