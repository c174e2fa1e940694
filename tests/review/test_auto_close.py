"""The triage model's auto-close: a decision recorded as the model's (never a person's), only on open
cases, audited, sent as automated, sampled for QA, reversible by appeal or a disagreeing QA
re-review, shown apart in the API and console, and kept out of people's SLA, QA and appeal figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from quality.models import SlaDay
from quality.sla import sla_fold
from review.models import (
    Appeal,
    AppealState,
    Case,
    CaseEvent,
    CaseSource,
    CaseState,
    Decision,
    DecisionKind,
    QAReview,
    WebhookDelivery,
)
from review.reports import quality_report, sla_report
from review.services.auto_close import AUTO_CLOSE_SKIPPED, AUTO_CLOSED, case_auto_close
from review.services.cases import case_appeal, case_decide
from review.services.queue import case_claim
from review.services.webhooks import webhook_endpoint_create
from tests.conftest import World
from tests.review.support import actor, add_item, add_user, claim, open_case

MODEL = "smollm2-135m-q4_0@test"
DETAIL = {"config": 7, "auto_close_below": 0.1, "escalate_above": 0.9, "category": "S1"}


def close(case: Case, *, score: float = 0.03, qa_rate: float = 0.0) -> Decision | None:
    return case_auto_close(case_id=case.pk, model_version=MODEL, score=score, auto_close_below=0.1,
                           qa_sample_rate=qa_rate, detail=dict(DETAIL))


def decide(world: World, name: str, action: str, codes: list[str] | None = None) -> Decision:
    lease = claim(world, name)
    return case_decide(actor=actor(world, name), case_id=lease.case_id, action=action,
                       policy_codes=codes or []).decision


def test_an_open_case_is_closed_as_the_model_and_audited(world, project):
    webhook_endpoint_create(actor=actor(world, "admin"), url="http://127.0.0.1:9/hook")
    case = open_case(world, project, severity=3)
    decision = close(case)
    assert decision is not None
    decision.refresh_from_db()
    assert (decision.kind, decision.reviewer_id, decision.vendor_id) == (DecisionKind.MODEL, None, None)
    assert decision.by_model and decision.model_version == MODEL and decision.action == "allow"
    assert decision.policy_codes == [] and decision.within_sla and decision.tier == case.tier
    assert decision.model_detail == {**DETAIL, "score": 0.03, "auto_close_below": 0.1, "qa_sample_rate": 0.0}
    case.refresh_from_db()
    assert (case.state, case.final_action, case.auto_closed) == (CaseState.DECIDED, "allow", True)
    assert case.decided_at is not None and case.assignee_id is None
    event = CaseEvent.objects.get(case=case, kind=AUTO_CLOSED)
    assert (event.from_state, event.to_state, event.actor_id) == ("open", "decided", None)
    assert event.detail["decision"] == decision.pk and event.detail["model_version"] == MODEL
    # The source system hears the outcome, marked as made by automated means.
    body = orjson.loads(WebhookDelivery.objects.get(decision=decision).body)
    assert body["decision"]["automated"] is True and body["decision"]["kind"] == "model"
    assert body["decision"]["action"] == "allow" and body["decision"]["final"] is True
    # Nothing left for reviewers.
    assert case_claim(actor=actor(world, "reviewer")) is None


def test_only_open_untouched_cases_are_closed(world, project):
    # An item a person has actioned before is left to people, whatever the model says now.
    actioned = open_case(world, project)
    decide(world, "admin", "remove", ["S1"])
    held = open_case(world, project)
    assert claim(world, "reviewer").case_id == held.pk
    again = open_case(world, project, item=actioned.item, category="S10")
    escalated = open_case(world, project, tier=2)
    Case.objects.filter(pk=escalated.pk).update(state=CaseState.ESCALATED)
    appeal_source = open_case(world, project, source=CaseSource.APPEAL, by="reviewer")
    for case, reason in [(held, "state_in_review"), (escalated, "state_escalated"),
                         (appeal_source, "source_appeal"), (again, "item_actioned_before")]:
        before = Case.objects.get(pk=case.pk).state
        assert close(case) is None, reason
        assert Case.objects.get(pk=case.pk).state == before
        assert CaseEvent.objects.get(case=case, kind=AUTO_CLOSE_SKIPPED).detail["reason"] == reason
    assert not Decision.objects.filter(kind=DecisionKind.MODEL).exists()
    # A score at or above the threshold is refused outright: the caller routed it wrongly.
    with pytest.raises(ValueError):
        close(open_case(world, project), score=0.1)


def test_a_decision_is_either_a_persons_or_a_models(world, project):
    case = open_case(world, project)
    common: dict[str, Any] = {"case": case, "policy": case.policy, "tier": 1, "action": "allow",
                              "due_at": case.due_at, "within_sla": True, "created_at": timezone.now()}
    bad = [
        {"kind": DecisionKind.REVIEW, "reviewer": None},
        {"kind": DecisionKind.MODEL, "reviewer": None},  # no model version
        {"kind": DecisionKind.MODEL, "reviewer": world.users["reviewer"], "model_version": MODEL},
        {"kind": DecisionKind.REVIEW, "reviewer": world.users["reviewer"], "model_version": MODEL},
    ]
    for fields in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            Decision.objects.create(**common, **fields)


def test_an_auto_closed_case_is_appealed_and_a_person_decides_it(world, project):
    webhook_endpoint_create(actor=actor(world, "admin"), url="http://127.0.0.1:9/hook")
    case = open_case(world, project)
    model_decision = close(case)
    assert model_decision is not None
    appeal = case_appeal(actor=actor(world, "reviewer"), case_id=case.pk, reason="The reporter insists")
    assert appeal.decision_id == model_decision.pk
    case.refresh_from_db()
    assert case.state == CaseState.APPEALED and case.excluded_reviewer_id is None
    human = decide(world, "reviewer", "remove", ["S1"])
    assert (human.kind, human.reviewer_id) == (DecisionKind.APPEAL, world.users["reviewer"].pk)
    case.refresh_from_db()
    assert (case.state, case.final_action, case.auto_closed) == (CaseState.DECIDED, "remove", False)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.OVERTURNED and appeal.resolution_id == human.pk
    body = orjson.loads(WebhookDelivery.objects.get(decision=human).body)
    assert body["decision"]["automated"] is False and body["appeal"]["outcome"] == "overturned"


def test_auto_closes_are_sampled_for_qa_and_a_disagreeing_review_reopens_the_case(world, project):
    case = open_case(world, project)
    model_decision = close(case, qa_rate=1.0)
    assert model_decision is not None
    qa = Case.objects.get(source=CaseSource.QA_SAMPLE)
    assert qa.qa_of_id == model_decision.pk and qa.excluded_reviewer_id is None and qa.state == CaseState.OPEN
    qa_decision = decide(world, "off_reviewer", "remove", ["S1"])
    assert qa_decision.case_id == qa.pk and qa_decision.kind == DecisionKind.QA
    review = QAReview.objects.get()
    assert review.original_reviewer_id is None and review.action_agrees is False
    # The content the model left up is actioned by a person: the case goes back to people.
    case.refresh_from_db()
    assert case.state == CaseState.APPEALED
    appeal = Appeal.objects.get(case=case)
    assert appeal.decision_id == model_decision.pk and appeal.requested_by_id is None
    event = CaseEvent.objects.get(case=case, kind="appealed")
    assert event.actor_id == world.users["off_reviewer"].pk and event.detail["qa_decision"] == qa_decision.pk
    final = decide(world, "reviewer", "remove", ["S1"])
    assert final.case_id == case.pk
    case.refresh_from_db()
    assert (case.final_action, case.auto_closed) == ("remove", False)


def test_a_qa_review_that_agrees_with_the_model_changes_nothing(world, project):
    case = open_case(world, project)
    assert close(case, qa_rate=1.0) is not None
    decide(world, "reviewer", "allow")
    assert QAReview.objects.get().action_agrees is True
    case.refresh_from_db()
    assert (case.state, case.auto_closed) == (CaseState.DECIDED, True)
    assert not Appeal.objects.exists()


def test_no_qa_sample_at_rate_zero(world, project):
    for _ in range(5):
        assert close(open_case(world, project), qa_rate=0.0) is not None
    assert not Case.objects.filter(source=CaseSource.QA_SAMPLE).exists()


# --- shown apart, counted apart ---------------------------------------------------------------------


def test_the_api_and_console_show_auto_closed_cases_distinctly(world, project):
    closed = open_case(world, project)
    assert close(closed) is not None
    open_case(world, project)
    r = world.client("reviewer").get("/api/v1/cases", {"auto_closed": "true"})
    assert r.status_code == 200, r.content
    assert [c["id"] for c in r.json()["results"]] == [closed.pk]
    assert r.json()["results"][0]["auto_closed"] is True
    r = world.client("reviewer").get("/api/v1/cases", {"auto_closed": "false"})
    assert closed.pk not in {c["id"] for c in r.json()["results"]}
    for who in ("reviewer", "off_reviewer"):  # the vendor reviewer sees the outcome of an L1 case
        detail = world.client(who).get(f"/api/v1/cases/{closed.pk}")
        assert detail.status_code == 200, (who, detail.content)
        (d,) = detail.json()["decisions"]
        assert (d["decided_by"], d["reviewer"], d["kind"], d["model_version"]) == ("model", None, "model", MODEL)
        # The thresholds and score it decided by are internal.
        assert d["model_detail"] == ({**DETAIL, "score": 0.03, "qa_sample_rate": 0.0} if who == "reviewer" else {})
    client = Client()
    client.force_login(world.users["reviewer"])
    html = client.get(f"/console/cases/{closed.pk}/").content.decode()
    assert 'id="auto-closed"' in html and f"Model {MODEL}" in html


def test_reports_keep_model_decisions_out_of_peoples_figures(world, project):
    add_user(world, "reviewer2")
    for _ in range(3):
        assert close(open_case(world, project), qa_rate=1.0) is not None
    # QA of the three auto-closes: two agree, one actions the content (and reopens its case).
    for action in ("allow", "allow", "remove"):
        decided = decide(world, "reviewer2", action, ["S1"] if action == "remove" else [])
        assert decided.kind == DecisionKind.QA
    open_case(world, project)
    decide(world, "reviewer", "allow")
    decide(world, "reviewer", "remove", ["S1"])  # the people's case and the reopened one
    assert not Case.objects.filter(state__in=("open", "appealed")).exists()
    admin = actor(world, "admin")
    since = timezone.now() - timedelta(hours=1)
    sla = sla_report(actor=admin, since=since, until=timezone.now() + timedelta(minutes=1))
    assert sla["auto_closed"] == 3
    assert all(g["kind"] != "model" for g in sla["groups"])
    people_decisions = Decision.objects.exclude(kind=DecisionKind.MODEL).filter(action__in=("allow", "remove"))
    assert sla["total"]["decided"] == people_decisions.count()
    quality = quality_report(actor=admin, since=since)
    assert quality["qa"]["sampled"] == 0 and quality["qa"]["reviewers"] == []  # no person's decision was QA'd
    assert quality["model"]["qa"] == {"sampled": 3, "agreed": 2, "accuracy": round(2 / 3, 4)}
    vendor = quality_report(actor=actor(world, "off_manager"), since=since)
    assert "model" not in vendor and vendor["qa"]["sampled"] == 0
    # The SLA rollup folds people's decisions only.
    sla_fold()
    assert sum(SlaDay.objects.values_list("decided", flat=True)) == people_decisions.count()


def test_the_item_history_shows_the_models_decision(world, project):
    first = open_case(world, project)
    assert close(first) is not None
    later = open_case(world, project, item=first.item, category="S10")
    lease = claim(world, "reviewer")
    assert lease.case_id == later.pk
    r = world.client("reviewer").post("/api/v1/cases/claim")
    assert r.status_code == 200, r.content
    (earlier,) = r.json()["case"]["history"]
    assert earlier["id"] == first.pk and earlier["decisions"][0]["decided_by"] == "model"


def test_an_item_with_another_open_case_is_still_closable_per_case(world, project):
    item = add_item(project)
    a = open_case(world, project, item=item, category="S1")
    b = open_case(world, project, item=item, category="S10")
    assert close(a) is not None
    b.refresh_from_db()
    assert b.state == CaseState.OPEN and close(b) is not None
