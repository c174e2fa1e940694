"""The review queue: severity x SLA ordering, breached first, exposure caps and breaks inside the
claim, tier and vendor routing, appeals never to the first reviewer, leases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from review.models import Case, CaseLease, ExposureDay, ReviewerProfile, ReviewerWellness, WellnessBreak
from review.services.cases import case_appeal, case_decide, case_escalate
from review.services.claim import ClaimRequest, claim_sql
from review.services.errors import BreakRequired, LeaseExpired, NotHeld
from review.services.queue import case_claim, case_heartbeat
from review.urgency import priority
from tests.conftest import World, make_project
from tests.review.support import actor, add_item, add_user, claim, configure, minutes, now, open_case, set_due


def drain(world: World, name: str) -> list[int]:
    """Claim and allow cases one by one until the queue has nothing for this reviewer."""
    served: list[int] = []
    for _ in range(100):
        lease = case_claim(actor=actor(world, name))
        if lease is None:
            return served
        served.append(lease.case_id)
        case_decide(actor=actor(world, name), case_id=lease.case_id, action="allow")
    raise AssertionError("the queue never ran dry")


def test_triage_scored_cases_are_served_by_severity_times_sla_urgency_breached_first(world, project):
    t = now()
    spec = {  # name: (severity, due in minutes; negative: already breached)
        "sev1_due_30m": (1, 30), "sev4_due_60m": (4, 60), "sev3_due_20m": (3, 20),
        "sev2_breached_5m": (2, -5), "sev1_breached_1m": (1, -1), "sev2_due_10h": (2, 600),
    }
    cases = {}
    for name, (severity, due) in spec.items():
        case = open_case(world, project, by="ml", source="model_triage", severity=severity, triage_score=0.9)
        cases[name] = set_due(case, t + minutes(due)).pk
    served = drain(world, "reviewer")
    names = {pk: name for name, pk in cases.items()}
    assert [names[pk] for pk in served] == [
        "sev2_breached_5m", "sev1_breached_1m", "sev3_due_20m", "sev4_due_60m", "sev1_due_30m", "sev2_due_10h",
    ]
    # Outside the breached ones, that is the order of severity x exp((now - due) / tau), highest first.
    fresh = {n: spec[n] for n in spec if spec[n][1] > 0}
    by_priority = sorted(fresh, key=lambda n: -priority(now=t, due_at=t + minutes(fresh[n][1]), severity=fresh[n][0],
                                                        tau_seconds=3600))
    assert by_priority == [names[pk] for pk in served[2:]]


def test_the_claim_is_one_statement_with_skip_locked_over_the_queue_index(world, project):
    first = open_case(world, project)
    # A queue of some size, with analyzed statistics, so that the planner has a real choice to make.
    rows = [Case(**{f.attname: getattr(first, f.attname) for f in Case._meta.concrete_fields if not f.primary_key})
            for _ in range(3000)]
    for i, row in enumerate(rows):
        row.state = ("open", "decided", "decided", "escalated")[i % 4]
        row.urgency_key = first.urgency_key + timedelta(seconds=i)
    Case.objects.bulk_create(rows)
    with connection.cursor() as cur:
        cur.execute("ANALYZE review_case")
    req = ClaimRequest(
        organization_id=world.org.pk, user_id=world.users["reviewer"].pk, vendor_id=None, tier=2, projects=None,
        caps={"S1": 5}, severe=3, now=now(), expires=now() + minutes(10), day=timezone.localdate(),
    )
    sql = claim_sql(req)
    assert sql.count("FOR UPDATE OF c SKIP LOCKED") == 2 and "review_exposureday" in sql
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, req.params())
        plan = "\n".join(row[0] for row in cur.fetchall())
    # Both the breached and the fresh pick walk the queue index in order: no sort, no scan.
    assert plan.count("Index Scan using case_queue_idx") == 2, plan
    assert "Sort" not in plan, plan


def test_claim_query_count_does_not_grow_with_the_queue(world, project):
    def claim_queries(name: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert case_claim(actor=actor(world, name)) is not None
        return len(ctx)

    for severity in (1, 2, 3, 4):
        open_case(world, project, severity=severity)
    case_claim(actor=actor(world, "admin"))  # settings and policy rows now exist
    small = claim_queries("reviewer")
    for severity in (1, 2, 3, 4) * 10:
        open_case(world, project, severity=severity)
    add_user(world, "reviewer2")
    assert claim_queries("reviewer2") == small <= 16


def test_exposure_cap_stops_serving_that_category_for_the_day(world, project):
    configure(world, exposure_caps={"S1": 2}, break_after=0)
    s1 = [set_due(open_case(world, project, category="S1", severity=3), now() + minutes(10 + i)).pk for i in range(3)]
    s2 = set_due(open_case(world, project, category="S2", severity=1), now() + minutes(600)).pk
    served = drain(world, "reviewer")
    # Two S1 cases, then the less urgent S2 case instead of the third S1: the cap is reached.
    assert served == [s1[0], s1[1], s2]
    assert ExposureDay.objects.get(reviewer=world.users["reviewer"], category="S1").items == 2
    assert Case.objects.get(pk=s1[2]).state == "open"
    # Another reviewer is not capped.
    lease = case_claim(actor=actor(world, "admin"))
    assert lease is not None and lease.case_id == s1[2]
    case_decide(actor=actor(world, "admin"), case_id=s1[2], action="allow")
    # The next day the count starts again.
    more = open_case(world, project, category="S1")
    assert case_claim(actor=actor(world, "reviewer")) is None
    ExposureDay.objects.filter(reviewer=world.users["reviewer"]).update(day=timezone.localdate() - timedelta(days=1))
    lease = case_claim(actor=actor(world, "reviewer"))
    assert lease is not None and lease.case_id == more.pk


def test_mandatory_break_after_n_severe_cases(world, project):
    configure(world, severe_severity=3, break_after=2, break_minutes=15, exposure_caps={})
    for severity in (3, 4, 1, 4):
        open_case(world, project, severity=severity)
    reviewer = actor(world, "reviewer")
    for _ in range(2):
        lease = case_claim(actor=reviewer)
        assert lease is not None and lease.case.severity >= 3
        case_decide(actor=reviewer, case_id=lease.case_id, action="allow")
    with pytest.raises(BreakRequired) as err:
        case_claim(actor=reviewer)
    until = err.value.break_until
    assert timedelta(minutes=14) < until - now() <= timedelta(minutes=15)
    assert err.value.code == "break_required" and "break" in err.value.message
    with pytest.raises(BreakRequired) as again:
        case_claim(actor=reviewer)
    assert again.value.break_until == until
    brk = WellnessBreak.objects.get(reviewer=world.users["reviewer"])
    assert brk.after_items == 2
    # Other reviewers keep working.
    assert case_claim(actor=actor(world, "admin")) is not None
    # The break is over: claims resume and the streak starts again.
    ReviewerWellness.objects.filter(reviewer=world.users["reviewer"]).update(break_until=now() - minutes(1))
    assert case_claim(actor=reviewer) is not None
    assert ReviewerWellness.objects.get(reviewer=world.users["reviewer"]).severe_streak <= 1


def test_a_pause_as_long_as_the_break_counts_as_the_break(world, project):
    configure(world, severe_severity=3, break_after=2, break_minutes=15)
    for _ in range(3):
        open_case(world, project, severity=4)
    reviewer = actor(world, "reviewer")
    for _ in range(2):
        lease = claim(world, "reviewer")
        case_decide(actor=reviewer, case_id=lease.case_id, action="allow")
    ReviewerWellness.objects.filter(reviewer=world.users["reviewer"]).update(last_severe_at=now() - minutes(20))
    assert case_claim(actor=reviewer) is not None
    assert not WellnessBreak.objects.exists()


def test_vendor_reviewers_get_only_l1_cases_of_projects_routed_to_their_vendor(world, project):
    other_project = make_project(world, name="Onshore only", vendors=[world.onshore])
    l2 = open_case(world, project, tier=2)
    specialist = open_case(world, project, tier=3)
    csam = open_case(world, project, category="S4")  # the category's minimum tier is L2
    internal_item = open_case(world, project, item=add_item(project, internal_only=True))
    pinned = open_case(world, project, item=add_item(project, pinned_vendor=world.onshore))
    unrouted = open_case(world, other_project)
    assert (l2.tier, specialist.tier, csam.tier) == (2, 3, 2)
    assert case_claim(actor=actor(world, "off_reviewer")) is None
    mine = open_case(world, project)
    assert drain(world, "off_reviewer") == [mine.pk]
    # An escalated case leaves the vendor tier.
    case = open_case(world, project)
    lease = claim(world, "off_reviewer")
    assert lease.case_id == case.pk
    case_decide(actor=actor(world, "off_reviewer"), case_id=case.pk, action="escalate", rationale="unsure")
    assert Case.objects.get(pk=case.pk).tier == 2
    assert case_claim(actor=actor(world, "off_reviewer")) is None
    # Internal L2 reviewers take all but the specialist case; a specialist takes that one.
    internal = set(drain(world, "reviewer"))
    assert internal == {l2.pk, csam.pk, internal_item.pk, pinned.pk, unrouted.pk, case.pk}
    ReviewerProfile.objects.create(user=world.users["reviewer"], tier=3)
    assert drain(world, "reviewer") == [specialist.pk]


def test_a_vendor_reviewer_profile_cannot_lift_them_above_l1(world, project):
    ReviewerProfile.objects.create(user=world.users["off_reviewer"], tier=3)
    open_case(world, project, tier=2)
    assert case_claim(actor=actor(world, "off_reviewer")) is None


def test_an_appeal_never_goes_to_the_original_reviewer_even_when_they_are_the_only_one_asking(world, project):
    reviewer, other = actor(world, "reviewer"), add_user(world, "reviewer2")
    case = open_case(world, project)
    lease = claim(world, "reviewer")
    case_decide(actor=reviewer, case_id=lease.case_id, action="remove", policy_codes=["S1"])
    appeal = case_appeal(actor=actor(world, "admin"), case_id=case.pk, reason="satire")
    for _ in range(3):
        assert case_claim(actor=reviewer) is None
    assert claim(world, "reviewer2").case_id == case.pk
    decided = case_decide(actor=actor(world, "reviewer2"), case_id=case.pk, action="allow")
    appeal.refresh_from_db()
    assert (appeal.state, appeal.resolution_id) == ("overturned", decided.decision.pk)
    assert decided.decision.kind == "appeal"
    assert other.pk != world.users["reviewer"].pk


def test_an_appeal_is_re_reviewed_at_the_same_or_a_higher_tier(world, project):
    case = open_case(world, project, tier=2)
    lease = claim(world, "reviewer")
    case_decide(actor=actor(world, "reviewer"), case_id=lease.case_id, action="restrict", policy_codes=["S12"])
    case_appeal(actor=actor(world, "admin"), case_id=case.pk)
    assert Case.objects.get(pk=case.pk).tier == 2
    assert case_claim(actor=actor(world, "off_reviewer")) is None  # L1 only
    assert claim(world, "admin").case_id == case.pk


def test_a_lapsed_lease_is_taken_over_and_its_holder_can_no_longer_decide(world, project):
    case = open_case(world, project)
    first = claim(world, "reviewer")
    assert claim(world, "reviewer").pk == first.pk  # a repeated claim returns it
    assert case_claim(actor=actor(world, "admin")) is None  # held
    # Its holder's heartbeat keeps it; then the lease runs out.
    assert case_heartbeat(actor=actor(world, "reviewer"), case_id=case.pk).expires_at > first.expires_at
    past = now() - minutes(1)
    CaseLease.objects.filter(pk=first.pk).update(expires_at=past)
    Case.objects.filter(pk=case.pk).update(leased_until=past)
    second = case_claim(actor=actor(world, "admin"))
    assert second is not None and second.case_id == case.pk
    assert CaseLease.objects.get(pk=first.pk).state == "expired"
    with pytest.raises(NotHeld):
        case_decide(actor=actor(world, "reviewer"), case_id=case.pk, action="allow")
    with pytest.raises((NotHeld, LeaseExpired)):
        case_heartbeat(actor=actor(world, "reviewer"), case_id=case.pk)
    assert Case.objects.get(pk=case.pk).queued_as == "open"


def test_a_lapsed_lease_nobody_took_is_revived_by_a_heartbeat(world, project):
    case = open_case(world, project)
    lease = claim(world, "reviewer")
    past = now() - minutes(1)
    CaseLease.objects.filter(pk=lease.pk).update(expires_at=past)
    Case.objects.filter(pk=case.pk).update(leased_until=past)
    assert case_heartbeat(actor=actor(world, "reviewer"), case_id=case.pk).expires_at > now()
    assert case_decide(actor=actor(world, "reviewer"), case_id=case.pk, action="allow").created


def test_escalating_past_the_specialist_is_refused(world, project):
    from review.services.errors import EscalationRefused

    open_case(world, project, tier=3)
    lease = claim(world, "admin")
    with pytest.raises(EscalationRefused):
        case_escalate(actor=actor(world, "admin"), case_id=lease.case_id)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviewers_never_get_the_same_case():
    from tests.conftest import make_world

    world = make_world()
    project = make_project(world, vendors=[world.offshore])
    configure(world, exposure_caps={}, break_after=0, qa_sample_rate=0)
    names = [f"r{i}" for i in range(6)]
    for name in names:
        add_user(world, name)
    cases = [open_case(world, project, severity=1 + i % 4).pk for i in range(60)]
    served: dict[str, list[int]] = {n: [] for n in names}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(names))

    def work(name: str) -> None:
        try:
            barrier.wait()
            served[name] = drain(world, name)
        except BaseException as e:
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    everything = [pk for ids in served.values() for pk in ids]
    assert sorted(everything) == sorted(cases)  # each case served exactly once
    assert Case.objects.filter(state="decided").count() == len(cases)
