"""The case state machine: the transition table, and every illegal move refused by the services."""

from __future__ import annotations

from itertools import product

import pytest
from django.db import transaction
from django.utils import timezone

from review import state as sm
from review.models import Case, CaseEvent, CaseState
from review.services.cases import case_appeal, case_decide, case_escalate
from review.services.errors import AppealRefused, NotHeld
from review.services.lifecycle import transition
from review.services.queue import case_claim, case_release
from review.state import IllegalTransition, check_transition
from tests.review.support import actor, open_case

ALLOWED = {
    ("open", "in_review"), ("open", "escalated"), ("open", "decided"),  # decided: the model's auto-close
    ("escalated", "in_review"), ("escalated", "escalated"),
    ("in_review", "decided"), ("in_review", "escalated"), ("in_review", "open"), ("in_review", "appealed"),
    ("decided", "appealed"),
    ("appealed", "in_review"), ("appealed", "escalated"),
}


def test_the_table_is_exactly_the_allowed_transitions():
    assert {(a, b) for a, targets in sm.TRANSITIONS.items() for b in targets} == ALLOWED
    assert set(sm.TRANSITIONS) | {b for t in sm.TRANSITIONS.values() for b in t} <= set(sm.STATES)
    assert tuple(s.value for s in CaseState) == sm.STATES


@pytest.mark.parametrize(("current", "target"), sorted(set(product(sm.STATES, sm.STATES)) - ALLOWED))
def test_every_illegal_transition_is_refused_with_a_clear_error(current, target):
    with pytest.raises(IllegalTransition) as err:
        check_transition(current, target)
    assert err.value.code == "illegal_transition"
    assert f"from {current} to {target}" in err.value.message
    assert "allowed from" in err.value.message


@pytest.mark.parametrize(("current", "target"), sorted(set(product(sm.STATES, sm.STATES)) - ALLOWED))
def test_the_one_place_that_moves_cases_refuses_them_and_writes_nothing(world, project, current, target):
    case = open_case(world, project)
    Case.objects.filter(pk=case.pk).update(state=current, assignee=world.users["reviewer"])
    case.refresh_from_db()
    events = CaseEvent.objects.filter(case=case).count()
    with transaction.atomic(), pytest.raises(IllegalTransition):
        transition(case, target, kind="test", actor_id=None, now=timezone.now())
    assert case.state == current
    assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transitions_are_recorded(world, project, current, target):
    case = open_case(world, project)
    case.state = current
    with transaction.atomic():
        transition(case, target, kind="test", actor_id=None, now=timezone.now())
    event = CaseEvent.objects.filter(case=case, kind="test").get()
    assert (event.from_state, event.to_state, case.state) == (current, target, target)


def test_services_refuse_moves_the_case_is_not_in_a_state_for(world, project):
    reviewer, other = actor(world, "reviewer"), actor(world, "admin")
    case = open_case(world, project)
    # Appeal an open case: not decided yet.
    with pytest.raises(AppealRefused):
        case_appeal(actor=reviewer, case_id=case.pk)
    # Decide without holding it.
    with pytest.raises(NotHeld):
        case_decide(actor=reviewer, case_id=case.pk, action="allow")
    lease = case_claim(actor=reviewer)
    assert lease is not None and lease.case_id == case.pk
    # Someone else cannot decide, release or escalate a case another reviewer is working.
    with pytest.raises(NotHeld):
        case_decide(actor=other, case_id=case.pk, action="allow")
    with pytest.raises(NotHeld):
        case_release(actor=other, case_id=case.pk)
    with pytest.raises(NotHeld):
        case_escalate(actor=other, case_id=case.pk)
    case_decide(actor=reviewer, case_id=case.pk, action="allow")
    # A decided case: no second decision, no release, no escalation (decided -> escalated is illegal).
    with pytest.raises(NotHeld):
        case_decide(actor=reviewer, case_id=case.pk, action="remove", policy_codes=["S1"])
    with pytest.raises(NotHeld):
        case_release(actor=reviewer, case_id=case.pk)
    with pytest.raises(IllegalTransition):
        case_escalate(actor=other, case_id=case.pk)
    case_appeal(actor=other, case_id=case.pk, reason="the user disagrees")
    # Appealed once: the same decision cannot be appealed again (appealed -> appealed is illegal too).
    with pytest.raises(AppealRefused):
        case_appeal(actor=other, case_id=case.pk)
    case.refresh_from_db()
    assert case.state == "appealed"
    kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", "from_state", "to_state"))
    assert kinds == [
        ("created", "", "open"), ("claimed", "open", "in_review"), ("decided", "in_review", "decided"),
        ("appealed", "decided", "appealed"),
    ]


def test_release_returns_the_case_to_where_it_was_claimed_from(world, project):
    reviewer = actor(world, "reviewer")
    case = open_case(world, project)
    case_escalate(actor=actor(world, "admin"), case_id=case.pk, reason="needs L2")
    case.refresh_from_db()
    assert (case.state, case.tier) == ("escalated", 2)
    lease = case_claim(actor=reviewer)
    assert lease is not None and lease.case_id == case.pk
    case = case_release(actor=reviewer, case_id=case.pk)
    assert (case.state, case.assignee_id, case.leased_until) == ("escalated", None, None)
