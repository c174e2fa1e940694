"""Triage routing acted on: auto-close below the threshold when the project turns it on (recorded only
when off), escalation above it, the config API, and the dry run kept apart from the model's own answers."""

from __future__ import annotations

import pytest

from inference.models import ProjectModel, TriageConfig
from inference.store import ensure_base_models
from inference.triage import AUTO_CLOSED, TRIAGED, routing_for, triage_apply, triage_cases
from inference.triage_rules import AUTO_CLOSE, BENIGN, ESCALATE, QUEUE, Triage, triage_from
from review.models import Case, CaseEvent, CaseSource, CaseState, Decision, DecisionKind
from review.services.auto_close import AUTO_CLOSE_SKIPPED
from review.services.cases import case_appeal, case_decide
from tests.conftest import make_project
from tests.review.support import actor, add_item, claim, open_case


def _triage(score: float) -> Triage:
    return triage_from({"S1": score * 0.75, "S10": score * 0.25, BENIGN: 1 - score})


def _config(project, **fields) -> TriageConfig:
    defaults = {"auto_close_below": 0.1, "escalate_above": 0.9, "auto_close": True, "auto_close_qa_rate": 0.0}
    return TriageConfig.objects.create(project=project, **{**defaults, **fields})


def test_below_the_threshold_an_open_case_is_closed_by_the_model_with_the_config_in_force(world, project):
    config = _config(project)
    case = open_case(world, project, severity=2)
    routing = routing_for(project_id=project.pk)
    assert routing.auto_close and routing.closing_below == 0.1
    assert triage_apply(case_id=case.pk, triage=_triage(0.04), model_version="m1", routing=routing) == AUTO_CLOSED
    case.refresh_from_db()
    assert (case.state, case.final_action, case.auto_closed) == (CaseState.DECIDED, "allow", True)
    assert case.triage_score == pytest.approx(0.04)
    decision = Decision.objects.get(case=case)
    assert (decision.kind, decision.reviewer_id, decision.model_version) == (DecisionKind.MODEL, None, "m1")
    detail = decision.model_detail
    assert detail["config"] == config.pk and detail["config_updated_at"] == config.updated_at.isoformat()
    assert (detail["auto_close_below"], detail["escalate_above"], detail["auto_close_qa_rate"]) == (0.1, 0.9, 0.0)
    assert detail["score"] == pytest.approx(0.04) and detail["category"] == "S1" and detail["severity"] == 1
    triaged = CaseEvent.objects.get(case=case, kind=TRIAGED)
    assert triaged.detail["route"] == AUTO_CLOSE and triaged.detail["auto_close"] is True
    # A newer model version re-scores a decided case but decides nothing again.
    assert triage_apply(case_id=case.pk, triage=_triage(0.02), model_version="m2", routing=routing) == AUTO_CLOSE
    assert Decision.objects.filter(case=case).count() == 1


def test_with_auto_close_off_the_route_is_only_recorded(world, project):
    _config(project, auto_close=False)
    case = open_case(world, project)
    routing = routing_for(project_id=project.pk)
    assert not routing.auto_close and routing.closing_below is None
    assert triage_apply(case_id=case.pk, triage=_triage(0.04), model_version="m1", routing=routing) == AUTO_CLOSE
    case.refresh_from_db()
    assert case.state == CaseState.OPEN and not case.auto_closed and not Decision.objects.exists()
    assert CaseEvent.objects.get(case=case, kind=TRIAGED).detail["auto_close"] is False


def test_above_and_between_the_thresholds_nothing_is_closed(world, project):
    _config(project)
    routing = routing_for(project_id=project.pk)
    high = open_case(world, project)
    middle = open_case(world, project)
    assert triage_apply(case_id=high.pk, triage=_triage(0.95), model_version="m1", routing=routing) == ESCALATE
    assert triage_apply(case_id=middle.pk, triage=_triage(0.5), model_version="m1", routing=routing) == QUEUE
    high.refresh_from_db()
    middle.refresh_from_db()
    assert (high.state, high.tier) == (CaseState.ESCALATED, 2)
    assert middle.state == CaseState.OPEN and not Decision.objects.exists()


def test_cases_not_open_are_left_to_people(world, project):
    _config(project)
    routing = routing_for(project_id=project.pk)
    held = open_case(world, project)
    claim(world, "reviewer")
    appeal = open_case(world, project, source=CaseSource.APPEAL, by="reviewer")
    assert triage_apply(case_id=held.pk, triage=_triage(0.01), model_version="m1", routing=routing) == AUTO_CLOSE
    assert triage_apply(case_id=appeal.pk, triage=_triage(0.01), model_version="m1", routing=routing) == AUTO_CLOSE
    assert Case.objects.get(pk=held.pk).state == CaseState.IN_REVIEW
    assert Case.objects.get(pk=appeal.pk).state == CaseState.OPEN
    assert CaseEvent.objects.get(case=appeal, kind=AUTO_CLOSE_SKIPPED).detail["reason"] == "source_appeal"
    assert not Decision.objects.exists()


def test_admins_turn_auto_close_on_with_a_threshold_and_a_qa_rate(world, project):
    url = f"/api/v1/projects/{project.pk}/triage"
    admin = world.client("admin")
    r = admin.put(url, {"auto_close_below": None, "escalate_above": 0.9, "auto_close": True}, format="json")
    assert r.status_code == 400 and r.json()["error"]["details"][0]["field"] == "auto_close"
    r = admin.put(url, {"auto_close_below": 0.1, "escalate_above": 0.9, "auto_close_qa_rate": 1.5}, format="json")
    assert r.status_code == 400
    body = {"auto_close_below": 0.1, "escalate_above": 0.9, "auto_close": True, "auto_close_qa_rate": 0.25}
    r = admin.put(url, body, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["auto_close"], r.json()["auto_close_qa_rate"]) == (True, 0.25)
    config = TriageConfig.objects.get(project=project)
    assert (config.auto_close, config.auto_close_qa_rate) == (True, 0.25)
    assert world.client("ml").put(url, {**body, "auto_close": False}, format="json").status_code == 403
    # Leaving auto_close out of a PUT turns it off: closing cases is never on by accident.
    r = admin.put(url, {"auto_close_below": 0.1, "escalate_above": 0.9}, format="json")
    assert r.status_code == 200 and r.json()["auto_close"] is False


def test_the_dry_run_learns_from_peoples_decisions_only_and_reports_the_models(world, project):
    _config(project, auto_close_qa_rate=0.0)
    routing = routing_for(project_id=project.pk)
    # Two cases people decided (one actioned), two the model closed.
    for score, action in ((0.5, "allow"), (0.6, "remove")):
        case = open_case(world, project, item=add_item(project))
        triage_apply(case_id=case.pk, triage=_triage(score), model_version="m1", routing=routing)
        lease = claim(world, "reviewer")
        assert lease.case_id == case.pk
        case_decide(actor=actor(world, "reviewer"), case_id=case.pk, action=action,
                    policy_codes=["S1"] if action == "remove" else [])
    closed = []
    for score in (0.03, 0.05):
        case = open_case(world, project, item=add_item(project))
        assert triage_apply(case_id=case.pk, triage=_triage(score), model_version="m1", routing=routing) == AUTO_CLOSED
        closed.append(case)
    url = f"/api/v1/projects/{project.pk}/triage/dry-run"
    body = world.client("admin").get(url, {"auto_close_below": 0.55}).json()
    assert body["proposed"]["cases"] == 2 and body["proposed"]["auto_closed"] == 1
    assert body["current"]["cases"] == 2 and body["current"]["auto_closed"] == 0
    assert body["current_config"] == {"auto_close_below": 0.1, "escalate_above": 0.9, "auto_close": True,
                                      "auto_close_qa_rate": 0.0}
    assert body["model_decisions"]["auto_closed"] == 2 and body["model_decisions"]["standing"] == 2
    # A person overturns one on appeal: it is a person's label now, and counts.
    case_appeal(actor=actor(world, "reviewer"), case_id=closed[0].pk, reason="wrong")
    lease = claim(world, "admin")
    assert lease.case_id == closed[0].pk
    case_decide(actor=actor(world, "admin"), case_id=closed[0].pk, action="remove", policy_codes=["S1"])
    body = world.client("admin").get(url, {"auto_close_below": 0.1}).json()
    proposed = body["proposed"]
    assert (proposed["cases"], proposed["auto_closed"], proposed["auto_closed_actioned"]) == (3, 1, 1)
    m = body["model_decisions"]
    assert (m["auto_closed"], m["standing"], m["appealed"], m["appeals_overturned"]) == (2, 1, 1, 1)


# --- the real model -------------------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.slow
def test_the_bundled_model_closes_exactly_the_cases_it_scores_below_the_threshold(world) -> None:
    project = make_project(world, vendors=[world.offshore], name="Moderation")
    ProjectModel.objects.create(project=project, model_version=ensure_base_models())
    texts = [
        "Thanks for the recipe! I baked the banana bread this morning and the kids loved it.",
        "The meeting moved to Thursday at ten, see you in the small conference room.",
        "I am going to find you tonight and beat you to death with a hammer, and then kill your family.",
        "You are a worthless loser and I will hurt you.",
    ]
    cases = [open_case(world, project, item=add_item(project, text=t, redacted=t)) for t in texts]
    # A threshold between the lowest and highest scores, whatever the model's exact numbers.
    TriageConfig.objects.create(project=project, auto_close_below=None, escalate_above=None)
    shadow = triage_cases(case_ids=[c.pk for c in cases])
    assert (shadow.triaged, shadow.auto_closed) == (len(texts), 0)
    scores = sorted(float(s) for s in Case.objects.filter(pk__in=[c.pk for c in cases]).values_list(
        "triage_score", flat=True))
    threshold = (scores[1] + scores[2]) / 2
    TriageConfig.objects.filter(project=project).update(auto_close_below=threshold, auto_close=True)
    again = [open_case(world, project, item=add_item(project, text=t, redacted=t), category="S10") for t in texts]
    run = triage_cases(case_ids=[c.pk for c in again])
    assert run.triaged == len(texts) and 0 < run.auto_closed < len(texts)
    for case in again:
        case.refresh_from_db()
        assert case.triage_score is not None
        assert (case.state == CaseState.DECIDED) == (case.triage_score < threshold), case.triage_score
        assert case.auto_closed == (case.triage_score < threshold)
    version = ensure_base_models().name
    assert set(Decision.objects.values_list("kind", "model_version")) == {(DecisionKind.MODEL, version)}
    assert Decision.objects.count() == run.auto_closed
