"""Moderation triage: probabilities → score → severity → route, the dry run, storing a triage on a case,
the API's permissions, and the real bundled model ranking a violent text above a benign one."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import include, path

from inference import tasks
from inference.models import ProjectModel, TriageConfig
from inference.store import ensure_base_models
from inference.triage import TRIAGE_ESCALATED, TRIAGED, Routing, triage_apply, triage_cases, triage_prompt
from inference.triage_rules import (
    AUTO_CLOSE,
    BENIGN,
    ESCALATE,
    QUEUE,
    InvalidThresholds,
    PastCase,
    Triage,
    combined,
    contextual_calibration,
    dry_run,
    route,
    severity_for,
    severity_thresholds,
    triage_from,
)
from review.models import Case, CaseEvent, CaseState
from tests.conftest import make_project
from tests.review.support import add_item, open_case

# The routes are mounted here until config/urls.py includes inference.urls.
urlpatterns = [path("api/v1/", include("inference.urls"))]


# --- pure arithmetic ------------------------------------------------------------------------------


def test_score_is_the_probability_of_any_violation_and_the_category_the_likeliest_one() -> None:
    t = triage_from({"S1": 0.5, "S10": 0.3, BENIGN: 0.2})
    assert t.category == "S1" and t.category_probability == 0.5
    assert t.score == pytest.approx(0.8) and t.severity == 3  # defaults: 0.8 ≤ 0.8 < 0.95
    assert triage_from({"S1": 0.05, "S2": 0.04, BENIGN: 0.91}).severity == 1
    with pytest.raises(ValueError):
        triage_from({BENIGN: 1.0})


@pytest.mark.parametrize(
    ("score", "severity"), [(0.0, 1), (0.599, 1), (0.6, 2), (0.79, 2), (0.8, 3), (0.949, 3), (0.95, 4), (1.0, 4)]
)
def test_severity_steps_up_at_the_default_thresholds(score: float, severity: int) -> None:
    assert severity_for(score) == severity


def test_severity_thresholds_merge_with_defaults_and_must_rise_with_severity() -> None:
    steps = severity_thresholds({"4": 0.9, "2": 0.2})
    assert steps == {4: 0.9, 3: 0.8, 2: 0.2}
    assert severity_for(0.93, steps) == 4 and severity_for(0.25, steps) == 2
    for bad in ({"3": 0.99}, {"5": 0.5}, {"2": 1.5}, {"2": "x"}):
        with pytest.raises(InvalidThresholds):
            severity_thresholds(bad)


def test_route_closes_below_escalates_above_and_queues_between() -> None:
    kw: dict[str, Any] = {"auto_close_below": 0.1, "escalate_above": 0.9}
    assert [route(s, **kw) for s in (0.0, 0.0999, 0.1, 0.5, 0.9, 0.9001)] == [
        AUTO_CLOSE,
        AUTO_CLOSE,
        QUEUE,
        QUEUE,
        QUEUE,
        ESCALATE,
    ]
    assert route(0.0, auto_close_below=None, escalate_above=None) == QUEUE


def test_dry_run_counts_what_the_thresholds_would_have_done() -> None:
    cases = [
        PastCase(0.02, "allow"),
        PastCase(0.05, "allow"),
        PastCase(0.08, "remove"),  # closed, 1 missed
        PastCase(0.3, "allow"),
        PastCase(0.6, "restrict"),  # queued
        PastCase(0.95, "remove"),
        PastCase(0.97, "restrict"),
        PastCase(0.99, "allow"),  # escalated
    ]
    out = dry_run(cases, auto_close_below=0.1, escalate_above=0.9)
    assert (out.cases, out.actioned) == (8, 4)
    assert (out.auto_closed, out.auto_closed_actioned) == (3, 1)
    assert (out.escalated, out.escalated_actioned, out.escalated_allowed) == (3, 2, 1)
    assert (out.queued, out.queued_actioned) == (2, 1)
    assert out.false_negative_rate == pytest.approx(1 / 4)
    assert out.auto_close_precision == pytest.approx(2 / 3)
    assert out.escalation_precision == pytest.approx(2 / 3)
    assert out.review_saved == pytest.approx(3 / 8)
    off = dry_run(cases, auto_close_below=None, escalate_above=None)
    assert (off.auto_closed, off.escalated, off.queued) == (0, 0, 8) and off.false_negative_rate == 0
    empty = dry_run([], auto_close_below=0.1, escalate_above=0.9)
    assert empty.cases == 0 and empty.false_negative_rate is None and empty.review_saved is None
    with pytest.raises(InvalidThresholds):
        dry_run(cases, auto_close_below=0.9, escalate_above=0.1)


def test_prompt_labels_are_category_names_plus_benign_and_unique() -> None:
    from inference.triage import CategoryLabel

    instruction, labels, to_code = triage_prompt(
        [
            CategoryLabel("S1", "Violent Crimes", "violence"),
            CategoryLabel("S2", "Violent Crimes", "dup"),
            CategoryLabel("S3", "", "nameless"),
        ]
    )
    assert labels == ["Violent Crimes", "S2 Violent Crimes", "S3 "]
    assert to_code == {"Violent Crimes": "S1", "S2 Violent Crimes": "S2", "S3 ": "S3"}
    assert "- S2 Violent Crimes: dup" in instruction


def test_calibration_divides_by_the_prior_and_combining_gives_one_distribution() -> None:
    cal = contextual_calibration({"safe": 0.94, "unsafe": 0.06}, {"safe": 0.97, "unsafe": 0.03})
    assert cal["unsafe"] == pytest.approx((0.06 / 0.03) / (0.06 / 0.03 + 0.94 / 0.97))
    assert sum(cal.values()) == pytest.approx(1)
    # A text scored exactly like the prior is a coin toss.
    assert contextual_calibration({"a": 0.9, "b": 0.1}, {"a": 0.9, "b": 0.1}) == pytest.approx({"a": 0.5, "b": 0.5})
    dist = combined(unsafe=0.8, categories={"S1": 0.3, "S2": 0.1})
    assert dist == pytest.approx({"S1": 0.6, "S2": 0.2, BENIGN: 0.2})
    t = triage_from(dist)
    assert t.category == "S1" and t.score == pytest.approx(0.8)


# --- storing a triage on a case -------------------------------------------------------------------


def _triage(score: float) -> Triage:
    return triage_from({"S1": score * 0.75, "S10": score * 0.25, BENIGN: 1 - score})


ROUTING = Routing(auto_close_below=0.1, escalate_above=0.9, severity_thresholds=severity_thresholds(None))


def test_a_triage_raises_severity_and_priority_and_keeps_the_probabilities(world, project) -> None:
    case = open_case(world, project, severity=1)
    before_due, before_key = case.due_at, case.urgency_key
    assert triage_apply(case_id=case.pk, triage=_triage(0.8), model_version="m1", routing=ROUTING) == QUEUE
    case.refresh_from_db()
    assert case.triage_score == pytest.approx(0.8) and case.severity == 3 and case.state == CaseState.OPEN
    assert case.due_at < before_due and case.urgency_key < before_key
    event = CaseEvent.objects.get(case=case, kind=TRIAGED)
    assert event.actor_id is None and event.detail["route"] == QUEUE and event.detail["category"] == "S1"
    assert event.detail["probabilities"] == pytest.approx({"S1": 0.6, "S10": 0.2, BENIGN: 0.2})
    # Once per model version.
    assert triage_apply(case_id=case.pk, triage=_triage(0.99), model_version="m1", routing=ROUTING) is None
    case.refresh_from_db()
    assert case.triage_score == pytest.approx(0.8) and case.state == CaseState.OPEN


def test_a_triage_never_lowers_a_reported_severity(world, project) -> None:
    case = open_case(world, project, severity=4)
    due = case.due_at
    assert triage_apply(case_id=case.pk, triage=_triage(0.05), model_version="m1", routing=ROUTING) == AUTO_CLOSE
    case.refresh_from_db()
    # auto-close is recorded, not acted on: closing takes a reviewer's decision.
    assert (case.severity, case.due_at, case.state) == (4, due, CaseState.OPEN)
    assert case.triage_score == pytest.approx(0.05)


def test_above_the_escalation_threshold_a_waiting_case_goes_up_one_tier_once(world, project) -> None:
    case = open_case(world, project, severity=2)
    assert triage_apply(case_id=case.pk, triage=_triage(0.95), model_version="m1", routing=ROUTING) == ESCALATE
    case.refresh_from_db()
    assert (case.state, case.tier, case.severity) == (CaseState.ESCALATED, 2, 4)
    assert CaseEvent.objects.filter(case=case, kind=TRIAGE_ESCALATED).count() == 1
    # A newer model version re-scores it but does not escalate it again.
    assert triage_apply(case_id=case.pk, triage=_triage(0.97), model_version="m2", routing=ROUTING) == ESCALATE
    case.refresh_from_db()
    assert case.tier == 2 and case.triage_score == pytest.approx(0.97)


def test_a_case_under_review_keeps_its_state_and_severity(world, project) -> None:
    from tests.review.support import claim

    case = open_case(world, project, severity=1)
    claim(world, "reviewer")
    triage_apply(case_id=case.pk, triage=_triage(0.95), model_version="m1", routing=ROUTING)
    case.refresh_from_db()
    assert (case.state, case.tier, case.severity) == (CaseState.IN_REVIEW, 1, 1)
    assert case.triage_score == pytest.approx(0.95)


def test_cases_of_projects_without_a_model_are_skipped(world, project) -> None:
    case = open_case(world, project)
    run = triage_cases(case_ids=[case.pk, 10**9])
    assert (run.triaged, run.skipped) == (0, 2)


def test_the_case_created_hook_queues_triage_only_for_projects_with_a_model(world, project, monkeypatch) -> None:
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.triage_cases, "delay", lambda ids: queued.append(ids))
    case = open_case(world, project)
    tasks.after_case_created(case.pk, project.pk)
    assert queued == []
    ProjectModel.objects.create(project=project, model_version=ensure_base_models())
    tasks.after_case_created(case.pk, project.pk)
    assert queued == [[case.pk]]

    def broker_down(ids: list[int]) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.triage_cases, "delay", broker_down)
    tasks.after_case_created(case.pk, project.pk)  # logged, not raised: the case is already saved


# --- dry run and config API -----------------------------------------------------------------------


def _decided(world, project, score: float, action: str) -> Case:
    case = open_case(world, project, item=add_item(project))
    Case.objects.filter(pk=case.pk).update(triage_score=score, final_action=action, state=CaseState.DECIDED)
    return case


@pytest.fixture
def history(world, project):
    for score, action in [(0.02, "allow"), (0.08, "remove"), (0.5, "allow"), (0.95, "remove"), (0.97, "allow")]:
        _decided(world, project, score, action)
    # Not part of the report: an undecided case, and a decided one the model never scored.
    Case.objects.filter(pk=open_case(world, project).pk).update(triage_score=0.5)
    untriaged = open_case(world, project, item=add_item(project))
    Case.objects.filter(pk=untriaged.pk).update(final_action="remove", state=CaseState.DECIDED)
    return project


@pytest.mark.urls(__name__)
def test_dry_run_reports_the_proposal_beside_the_current_thresholds(world, history) -> None:
    TriageConfig.objects.create(project=history, auto_close_below=0.05, escalate_above=0.96)
    r = world.client("admin").get(
        f"/api/v1/projects/{history.pk}/triage/dry-run", {"auto_close_below": 0.1, "escalate_above": 0.9}
    )
    assert r.status_code == 200, r.content
    body = r.json()
    proposed, current = body["proposed"], body["current"]
    assert proposed["cases"] == 5 and proposed["actioned"] == 2
    assert (proposed["auto_closed"], proposed["auto_closed_actioned"]) == (2, 1)
    assert (proposed["escalated"], proposed["escalated_actioned"], proposed["queued"]) == (2, 1, 1)
    assert proposed["false_negative_rate"] == pytest.approx(0.5)
    assert (current["auto_closed"], current["auto_closed_actioned"], current["escalated"]) == (1, 0, 1)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("admin", 200),
        ("reviewer", 200),
        ("ml", 200),
        ("annotator", 403),
        ("off_reviewer", 403),
        ("off_manager", 403),
        ("stranger", 403),
    ],
)
def test_dry_run_is_for_internal_admins_reviewers_and_ml_engineers(world, history, user, status) -> None:
    r = world.client(user).get(f"/api/v1/projects/{history.pk}/triage/dry-run?auto_close_below=0.1")
    assert r.status_code == status, r.content


@pytest.mark.urls(__name__)
def test_dry_run_refuses_crossed_thresholds(world, history) -> None:
    r = world.client("admin").get(
        f"/api/v1/projects/{history.pk}/triage/dry-run", {"auto_close_below": 0.9, "escalate_above": 0.1}
    )
    assert r.status_code == 400 and r.json()["error"]["details"][0]["field"] == "auto_close_below"


@pytest.mark.urls(__name__)
def test_admins_set_thresholds_and_others_may_not(world, project) -> None:
    url = f"/api/v1/projects/{project.pk}/triage"
    body = {"auto_close_below": 0.1, "escalate_above": 0.9, "severity_thresholds": {"4": 0.97}}
    for user in ("ml", "reviewer", "off_manager", "stranger"):
        assert world.client(user).put(url, body, format="json").status_code == 403, user
    assert not TriageConfig.objects.exists()
    r = world.client("admin").put(url, body, format="json")
    assert r.status_code == 200, r.content
    assert r.json() == {
        "project": project.pk,
        "auto_close_below": 0.1,
        "escalate_above": 0.9,
        "severity_thresholds": {"4": 0.97, "3": 0.8, "2": 0.6},
        "auto_close": False,  # recorded only, until an admin turns it on
        "auto_close_qa_rate": 0.1,
    }
    assert world.client("reviewer").get(url).json()["escalate_above"] == 0.9
    bad = world.client("admin").put(url, {"auto_close_below": 0.5, "escalate_above": 0.4}, format="json")
    assert bad.status_code == 400
    bad = world.client("admin").put(url, {**body, "severity_thresholds": {"3": 0.99}}, format="json")
    assert bad.status_code == 400
    off = world.client("admin").put(url, {"auto_close_below": None, "escalate_above": None}, format="json")
    assert off.status_code == 200 and off.json()["auto_close_below"] is None
    assert TriageConfig.objects.get(project=project).severity_thresholds == {}


# --- the real model -------------------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.slow
def test_the_bundled_model_scores_a_violent_threat_above_a_benign_text(world) -> None:
    project = make_project(world, vendors=[world.offshore], name="Moderation")
    ProjectModel.objects.create(project=project, model_version=ensure_base_models())
    violent = "I am going to find you tonight and beat you to death with a hammer, and then kill your family."
    benign = "Thanks for the recipe! I baked the banana bread this morning and the kids loved it."
    harmful = open_case(world, project, item=add_item(project, text=violent, redacted=violent), category="S1")
    harmless = open_case(world, project, item=add_item(project, text=benign, redacted=benign), category="S1")
    run = triage_cases(case_ids=[harmful.pk, harmless.pk])
    assert (run.triaged, run.skipped) == (2, 0)
    harmful.refresh_from_db()
    harmless.refresh_from_db()
    assert harmful.triage_score is not None and harmless.triage_score is not None
    assert harmful.triage_score > harmless.triage_score
    event = CaseEvent.objects.get(case=harmful, kind=TRIAGED)
    probabilities = event.detail["probabilities"]
    assert set(probabilities) == {f"S{i}" for i in range(1, 15)} | {BENIGN}
    assert sum(probabilities.values()) == pytest.approx(1, abs=1e-3)
    # Idempotent per model version.
    assert triage_cases(case_ids=[harmful.pk, harmless.pk]).triaged == 0


@pytest.mark.model
@pytest.mark.slow
def test_the_inference_worker_runs_the_triage_task(world, celery_worker) -> None:
    import time

    project = make_project(world, vendors=[world.offshore], name="Moderation")
    ProjectModel.objects.create(project=project, model_version=ensure_base_models())
    text = "You are a worthless loser and I will hurt you."
    case = open_case(world, project, item=add_item(project, text=text, redacted=text))
    tasks.triage_cases.delay([case.pk])
    deadline = time.monotonic() + 180
    while not CaseEvent.objects.filter(case=case, kind=TRIAGED).exists():
        assert time.monotonic() < deadline, "the inference worker did not triage the case"
        time.sleep(0.5)
    case.refresh_from_db()
    assert case.triage_score is not None and 0 <= case.triage_score <= 1
