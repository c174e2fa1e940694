"""SLA: due times by severity from the policy, breached cases escalating by themselves (idempotent
beat task), and compliance reported by severity and tier."""

from __future__ import annotations

from datetime import timedelta

from review.models import Case, CaseEvent, CaseLease
from review.services.cases import case_decide
from review.services.policy import policy_default, policy_publish
from review.services.sla import cases_escalate_breached
from review.tasks import escalate_breached_cases
from review.taxonomy import DEFAULT_CATEGORIES
from tests.review.support import actor, claim, minutes, now, open_case, set_due


def test_due_time_follows_the_policy_sla_for_the_severity(world, project):
    t = now()
    due = {sev: open_case(world, project, severity=sev).due_at - t for sev in (1, 2, 3, 4)}
    expected = {4: 60, 3: 240, 2: 24 * 60, 1: 72 * 60}
    for sev, minutes_ in expected.items():
        assert abs(due[sev] - timedelta(minutes=minutes_)) < timedelta(seconds=5), (sev, due[sev])
    # A new policy version with other SLAs applies to new cases.
    policy_publish(actor=actor(world, "admin"), name="v2", categories=[dict(c) for c in DEFAULT_CATEGORIES],
                   sla_minutes={"4": 30, "3": 120, "2": 600, "1": 1440})
    case = open_case(world, project, severity=4)
    assert abs(case.due_at - now() - timedelta(minutes=30)) < timedelta(seconds=5)
    assert case.policy.version == 2
    assert policy_default(organization_id=world.org.pk).version == 2


def test_breached_cases_escalate_once_by_themselves(world, project):
    working = open_case(world, project)
    assert claim(world, "reviewer").case_id == working.pk
    set_due(working, now() - minutes(1))  # breached while its reviewer is on it
    lapsed = open_case(world, project)
    lapsed_lease = claim(world, "admin")
    assert lapsed_lease.case_id == lapsed.pk
    Case.objects.filter(pk=lapsed.pk).update(leased_until=now() - minutes(1), due_at=now() - minutes(1))
    CaseLease.objects.filter(pk=lapsed_lease.pk).update(expires_at=now() - minutes(1))
    waiting = set_due(open_case(world, project), now() - minutes(5))
    later = set_due(open_case(world, project), now() + minutes(30))
    specialist = set_due(open_case(world, project, tier=3), now() - minutes(5))

    # The beat task, as Celery runs it.
    assert escalate_breached_cases.apply().get() == 2
    escalated = set(CaseEvent.objects.filter(kind="sla_breach").values_list("case_id", flat=True))
    assert escalated == {waiting.pk, lapsed.pk}
    for pk in escalated:
        case = Case.objects.get(pk=pk)
        assert (case.state, case.tier, case.assignee_id, case.leased_until) == ("escalated", 2, None, None)
        assert case.breach_escalated_at is not None
    assert CaseLease.objects.get(pk=lapsed_lease.pk).state == "expired"
    assert Case.objects.get(pk=working.pk).state == "in_review"  # its reviewer keeps it
    assert Case.objects.get(pk=specialist.pk).state == "open"  # nowhere higher to go
    assert Case.objects.get(pk=later.pk).tier == 1
    # Idempotent: again, and again, nothing more happens.
    assert cases_escalate_breached() == 0
    assert escalate_breached_cases.apply().get() == 0
    assert CaseEvent.objects.filter(kind="sla_breach").count() == 2
    # Still breached and still most urgent: an L2 reviewer gets them first.
    assert claim(world, "admin").case_id in escalated


def test_breached_cases_are_served_first_even_at_low_severity(world, project):
    urgent = set_due(open_case(world, project, severity=4), now() + minutes(20))
    breached = set_due(open_case(world, project, severity=1), now() - minutes(1))
    assert claim(world, "reviewer").case_id == breached.pk
    case_decide(actor=actor(world, "reviewer"), case_id=breached.pk, action="allow")
    assert claim(world, "reviewer").case_id == urgent.pk


def test_sla_compliance_report_by_severity_and_tier(world, project):
    reviewer = actor(world, "reviewer")
    cases = [open_case(world, project, severity=4) for _ in range(3)] + [open_case(world, project, severity=1)]
    set_due(cases[0], now() - minutes(10))  # this one is decided late
    for _ in cases:
        lease = claim(world, "reviewer")
        case_decide(actor=reviewer, case_id=lease.case_id, action="allow")
    late = set_due(open_case(world, project, severity=3), now() - minutes(1))  # waiting past due
    body = world.client("admin").get("/api/v1/review/reports/sla").json()
    groups = {(g["kind"], g["severity"], g["tier"]): g for g in body["groups"]}
    assert groups[("review", 4, 1)] | {} == {"kind": "review", "severity": 4, "tier": 1, "decided": 3,
                                            "within_sla": 2, "compliance": 0.6667}
    assert groups[("review", 1, 1)]["compliance"] == 1.0
    assert body["total"] == {"decided": 4, "within_sla": 3, "compliance": 0.75}
    assert body["open_breached"] == [{"severity": late.severity, "tier": 1, "cases": 1}]
