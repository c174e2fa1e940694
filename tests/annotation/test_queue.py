"""Queue semantics through the services: order, routing, overlap, leases, skip, submit, undo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from annotation.models import Annotation, Item, ItemState, Lease, LeaseState, Skip
from annotation.queueing.claim import ClaimRequest, claim_portable
from annotation.queueing.routing import Route, share_ranges
from annotation.queueing.selectors import claim_context
from annotation.queueing.services import (
    LeaseEnded,
    LeaseExpired,
    ProjectPaused,
    UndoRefused,
    annotation_submit,
    annotation_undo,
    lease_heartbeat,
    lease_skip,
    leases_release_for_user,
)
from annotation.schema import SchemaError
from annotation.selectors import projects_visible
from annotation.services import project_pause, project_route
from privacy.content import open_item_text
from tests.conftest import PASSWORD, make_project
from workforce.access import AccessDenied, actor_for

from .queue_support import claim, expire, make_annotators, make_items, submit

# --- order and idempotent claim -----------------------------------------------------------------------------


def test_claim_serves_highest_priority_then_oldest(world, project):
    low = make_items(project, 2, priority=0)
    high = make_items(project, 2, start=10, priority=5)
    user = world.users["off_annotator"]
    served = []
    for _ in range(4):
        lease = claim(user, project)
        served.append(lease.item_id)
        submit(user, lease)
    assert served == [high[0].pk, high[1].pk, low[0].pk, low[1].pk]
    assert claim(user, project) is None


def test_claim_is_idempotent_while_the_lease_lives(world, project):
    make_items(project, 3)
    user = world.users["off_annotator"]
    first = claim(user, project)
    again = claim(user, project)
    assert again.pk == first.pk and again.item_id == first.item_id
    assert Lease.objects.filter(annotator=user, state=LeaseState.ACTIVE).count() == 1
    assert Item.objects.get(pk=first.item_id).lease_count == 1


def test_claim_serves_redacted_text_only(world, project):
    make_items(project, 1)
    lease = claim(world.users["off_annotator"], project)
    assert "<PHONE>" in lease.item.view_text
    assert "text_sealed" in lease.item.get_deferred_fields()
    assert lease.item.metadata == {}


def test_claim_context_sees_exactly_what_projects_visible_sees(world):
    routed = make_project(world, name="Routed", vendors=[world.offshore])
    inactive = make_project(world, name="Inactive", vendors=[world.onshore])
    project_route(actor=actor_for(world.users["admin"]), project=inactive, vendor=world.onshore, active=False)
    internal = make_project(world, name="Internal", vendors=[])
    people = [*world.users.values(), world.stranger]
    for user in people:
        actor = actor_for(user)
        visible = set(projects_visible(actor).values_list("pk", flat=True))
        for project in (routed, inactive, internal):
            try:
                claim_context(actor, project.pk)
                seen = True
            except AccessDenied:
                seen = False
            assert seen == (project.pk in visible), (user.username, project.name)


def test_empty_queue_returns_none(world, project):
    assert claim(world.users["off_annotator"], project) is None


# --- routing and pins ---------------------------------------------------------------------------------------


def test_vendor_never_gets_another_vendors_pin_or_internal_items(world):
    project = make_project(world, vendors=[world.offshore, world.onshore])
    pinned_on = make_items(project, 3, priority=9, pinned_vendor=world.onshore)
    internal = make_items(project, 3, start=10, priority=8, internal_only=True)
    pinned_off = make_items(project, 1, start=20, priority=7, pinned_vendor=world.offshore)
    off = world.users["off_annotator"]
    lease = claim(off, project)
    assert lease.item_id == pinned_off[0].pk
    submit(off, lease)
    # Shares are 50/50: offshore's unpinned items are those in its bucket range only (id % 100): a
    # hundred consecutive ids cover every bucket, so offshore always has some, whatever the ids are.
    make_items(project, 100, start=30)
    served = []
    while (lease := claim(off, project)) is not None:
        served.append(lease.item_id)
        submit(off, lease)
    forbidden = {i.pk for i in pinned_on + internal}
    assert not forbidden & set(served)
    route = claim_context(actor_for(off), project.pk).route
    lo, hi = route.lo, route.hi
    assert served and all(lo <= pk % 100 < hi for pk in served)
    # Onshore gets its pins; internal staff get the internal-only items.
    on = world.users["on_annotator"]
    assert claim(on, project).item_id == pinned_on[0].pk
    assert claim(world.users["annotator"], project).item_id in {i.pk for i in pinned_on[1:] + internal}


def test_unrouted_vendor_and_other_org_cannot_claim(world, project):
    make_items(project, 1)
    with pytest.raises(AccessDenied):
        claim(world.users["on_annotator"], project)  # onshore is not routed to this project
    with pytest.raises(AccessDenied):
        claim(world.stranger, project)
    project_route(actor=actor_for(world.users["admin"]), project=project, vendor=world.offshore, active=False)
    with pytest.raises(AccessDenied):
        claim(world.users["off_annotator"], project)


def test_roles_that_do_not_annotate_cannot_claim(world, project):
    make_items(project, 2)
    for name in ("off_manager", "ml"):
        with pytest.raises(AccessDenied):
            claim(world.users[name], project)
    assert claim(world.users["off_reviewer"], project) is not None
    assert claim(world.users["admin"], project) is not None


def test_share_ranges_split_100_buckets_in_route_order():
    assert share_ranges([(1, 70), (2, 30)]) == {1: (0, 70), 2: (70, 100)}
    assert share_ranges([(1, 1), (2, 1), (3, 1)]) == {1: (0, 33), 2: (33, 66), 3: (66, 100)}
    assert share_ranges([(1, 100)]) == {1: (0, 100)}
    assert share_ranges([(1, 0), (2, 0)]) == {1: (0, 0), 2: (0, 0)}
    assert Route(vendor_id=None).sql() == ("", {})


def test_single_route_gets_every_unpinned_item(world, project):
    items = make_items(project, 5)
    off = world.users["off_annotator"]
    served = []
    while (lease := claim(off, project)) is not None:
        served.append(lease.item_id)
        submit(off, lease)
    assert served == [i.pk for i in items]


# --- overlap ------------------------------------------------------------------------------------------------


def test_overlap_needs_distinct_annotators_and_never_the_same_twice(world):
    project = make_project(world, vendors=[world.offshore], overlap=2)
    first, second = make_items(project, 2)
    a, b, c = make_annotators(world, 3, vendor=world.offshore)
    la, lb = claim(a, project), claim(b, project)
    assert la.item_id == lb.item_id == first.pk  # two slots on the first item
    assert claim(c, project).item_id == second.pk  # both slots of the first are held
    submit(a, la)
    assert claim(a, project).item_id == second.pk  # never the first again
    submit(b, lb)
    item = Item.objects.get(pk=first.pk)
    assert item.annotation_count == 2 and item.state == ItemState.DONE and item.lease_count == 0


def test_a_submit_takes_its_own_lease_off_the_item_and_keeps_the_other_holders(world):
    project = make_project(world, vendors=[world.offshore], overlap=3)
    (item,) = make_items(project, 1)
    a, b, c = make_annotators(world, 3, vendor=world.offshore)
    la, lb = claim(a, project), claim(b, project)
    submit(a, la)
    item.refresh_from_db()
    assert (item.annotation_count, item.lease_count, item.state) == (1, 1, ItemState.OPEN)
    assert item.leased_until >= Lease.objects.get(pk=lb.pk).expires_at  # b still holds a slot
    lc = claim(c, project)
    assert lc.item_id == item.pk  # the third slot
    submit(b, lb)
    submit(c, lc)
    item.refresh_from_db()
    assert (item.annotation_count, item.lease_count, item.leased_until, item.state) == (3, 0, None, ItemState.DONE)


def test_a_lease_that_ended_after_it_was_read_goes_the_locked_way(world, project, monkeypatch):
    """The one-statement submit writes nothing when the lease is no longer active once locked; the
    locked path then answers as for any ended lease."""
    from annotation.queueing import services as queue_services

    (item,) = make_items(project, 1)
    a = world.users["off_annotator"]
    lease = claim(a, project)
    stale = queue_services._read_held(actor_for(a), lease.pk, lock=False)  # read while active
    lease_skip(actor=actor_for(a), lease_id=lease.pk, reason="unclear")
    real = queue_services._read_held

    def read_held(actor, lease_id, *, lock):
        return real(actor, lease_id, lock=lock) if lock else stale

    monkeypatch.setattr(queue_services, "_read_held", read_held)
    with pytest.raises(LeaseEnded):
        submit(a, lease)
    assert not Annotation.objects.filter(item=item).exists()
    item.refresh_from_db()
    assert item.annotation_count == 0 and item.state == ItemState.OPEN


# --- leases: expiry, heartbeat, skip, release ---------------------------------------------------------------


def test_expired_lease_returns_the_item_by_itself(world, project):
    (item,) = make_items(project, 1)
    a, b = world.users["off_annotator"], world.users["off_annotator2"]
    lease_a = claim(a, project)
    assert claim(b, project) is None
    expire(lease_a)
    lease_b = claim(b, project)
    assert lease_b.item_id == item.pk
    # A's late submit finds the slot taken.
    with pytest.raises(LeaseExpired):
        submit(a, lease_a)
    submit(b, lease_b)
    assert Item.objects.get(pk=item.pk).annotation_count == 1


def test_late_submit_is_accepted_while_nobody_took_the_slot(world, project):
    (item,) = make_items(project, 1)
    a = world.users["off_annotator"]
    lease = claim(a, project)
    expire(lease)
    result = submit(a, lease)
    assert result.created
    item.refresh_from_db()
    assert item.annotation_count == 1 and item.state == ItemState.DONE


def test_claiming_again_after_expiry_replaces_the_dead_lease(world, project):
    make_items(project, 2)
    a = world.users["off_annotator"]
    old = claim(a, project)
    expire(old)
    new = claim(a, project)
    assert new.pk != old.pk and new.item_id == old.item_id  # its item came back, to the top of the queue
    assert Lease.objects.get(pk=old.pk).state == LeaseState.EXPIRED
    with pytest.raises(LeaseEnded):
        submit(a, old)


def test_heartbeat_extends_and_revives(world, project):
    make_items(project, 1)
    a, b = world.users["off_annotator"], world.users["off_annotator2"]
    lease = claim(a, project)
    Lease.objects.filter(pk=lease.pk).update(expires_at=timezone.now() + timedelta(seconds=5))
    beat = lease_heartbeat(actor=actor_for(a), lease_id=lease.pk)
    assert beat.expires_at > timezone.now() + timedelta(seconds=project.lease_seconds - 5)
    assert Item.objects.get(pk=lease.item_id).leased_until >= beat.expires_at
    expire(lease)
    revived = lease_heartbeat(actor=actor_for(a), lease_id=lease.pk)  # nobody took it: revived
    assert revived.expires_at > timezone.now()
    assert claim(b, project) is None
    expire(lease)
    assert claim(b, project) is not None
    with pytest.raises(LeaseExpired):
        lease_heartbeat(actor=actor_for(a), lease_id=lease.pk)


def test_only_the_holder_touches_a_lease(world, project):
    make_items(project, 1)
    lease = claim(world.users["off_annotator"], project)
    for name in ("off_annotator2", "admin", "annotator"):
        actor = actor_for(world.users[name])
        with pytest.raises(Lease.DoesNotExist):
            lease_heartbeat(actor=actor, lease_id=lease.pk)
        with pytest.raises(Lease.DoesNotExist):
            annotation_submit(actor=actor, lease_id=lease.pk, labels=["billing"])
        with pytest.raises(Lease.DoesNotExist):
            lease_skip(actor=actor, lease_id=lease.pk, reason="x")


def test_skip_frees_the_slot_and_never_serves_it_again(world, project):
    first, second = make_items(project, 2)
    a, b = world.users["off_annotator"], world.users["off_annotator2"]
    lease = claim(a, project)
    skip = lease_skip(actor=actor_for(a), lease_id=lease.pk, reason="not English")
    assert skip.reason == "not English" and Skip.objects.filter(item=first, annotator=a).exists()
    assert Item.objects.get(pk=first.pk).lease_count == 0
    assert claim(a, project).item_id == second.pk
    assert claim(b, project).item_id == first.pk
    with pytest.raises(LeaseEnded):
        lease_skip(actor=actor_for(a), lease_id=lease.pk, reason="again")


def test_release_for_user_frees_every_lease(world, project):
    other = make_project(world, name="Other", vendors=[world.offshore])
    make_items(project, 1)
    make_items(other, 1)
    a, b = world.users["off_annotator"], world.users["off_annotator2"]
    claim(a, project)
    claim(a, other)
    assert leases_release_for_user(user=a) == 2
    assert not Lease.objects.filter(annotator=a, state=LeaseState.ACTIVE).exists()
    assert claim(b, project) is not None and claim(b, other) is not None


def test_logout_releases_leases(world, project):
    make_items(project, 1)
    a, b = world.users["off_annotator"], world.users["off_annotator2"]
    lease = claim(a, project)
    client = Client()
    assert client.login(username="off_annotator", password=PASSWORD)
    client.post("/logout/")
    assert Lease.objects.get(pk=lease.pk).state == LeaseState.RELEASED
    assert claim(b, project).item_id == lease.item_id


def test_paused_project_hands_out_nothing(world, project):
    make_items(project, 2)
    a = world.users["off_annotator"]
    lease = claim(a, project)
    project_pause(actor=actor_for(world.users["admin"]), project=project, paused=True)
    with pytest.raises(ProjectPaused):
        claim(world.users["off_annotator2"], project)
    submit(a, lease)  # work in hand may still be finished
    project_pause(actor=actor_for(world.users["admin"]), project=project, paused=False)
    assert claim(world.users["off_annotator2"], project) is not None
    with pytest.raises(AccessDenied):
        project_pause(actor=actor_for(world.users["off_manager"]), project=project, paused=True)


# --- submit -------------------------------------------------------------------------------------------------


def test_submit_is_idempotent_by_client_key(world, project):
    (item,) = make_items(project, 1)
    a = world.users["off_annotator"]
    lease = claim(a, project)
    first = submit(a, lease, client_key="k-1")
    retry = submit(a, lease, client_key="k-1")
    assert first.created and not retry.created
    assert retry.annotation.pk == first.annotation.pk
    assert Annotation.objects.filter(item=item).count() == 1
    assert Item.objects.get(pk=item.pk).annotation_count == 1
    with pytest.raises(LeaseEnded):
        submit(a, lease, client_key="k-2")  # a different submission on an ended lease


def test_client_key_reused_on_another_item_is_refused(world, project):
    make_items(project, 2)
    a = world.users["off_annotator"]
    submit(a, claim(a, project), client_key="same")
    with pytest.raises(LeaseEnded, match="client_key"):
        submit(a, claim(a, project), client_key="same")


def test_submit_records_vendor_time_and_marks_done(world, project):
    (item,) = make_items(project, 1)
    a = world.users["off_annotator"]
    result = submit(a, claim(a, project), time_spent_ms=1234, comment="clear case")
    ann = result.annotation
    assert (ann.vendor_id, ann.time_spent_ms, ann.comment, ann.labels) == (
        world.offshore.pk, 1234, "clear case", ["billing"],
    )
    assert result.undo_until == ann.created_at + timedelta(seconds=10)
    item.refresh_from_db()
    assert item.state == ItemState.DONE and item.annotation_count == 1 and item.lease_count == 0


@pytest.mark.parametrize(
    ("kind", "schema", "payload", "field"),
    [
        ("single_label", None, {"labels": ["billing", "other"]}, "labels"),
        ("single_label", None, {"labels": ["nope"]}, "labels"),
        ("single_label", None, {"labels": []}, "labels"),
        ("multi_label", None, {"labels": []}, "labels"),
        ("single_label", None, {"labels": ["billing"], "spans": [{"start": 0, "end": 1, "label": "billing"}]},
         "spans"),
        ("span", None, {"spans": [{"start": 0, "end": 999, "label": "billing"}]}, "spans[0]"),
        ("span", None, {"spans": [{"start": 0, "end": 3, "label": "x"}]}, "spans[0].label"),
        ("span", None,
         {"spans": [{"start": 0, "end": 5, "label": "billing"}, {"start": 2, "end": 6, "label": "other"}]}, "spans"),
        ("single_label", {"allow_comment": False}, {"labels": ["billing"], "comment": "hi"}, "comment"),
    ],
)
def test_submit_validates_against_the_schema(world, kind, schema, payload, field):
    label_schema = {"labels": [{"value": "billing"}, {"value": "technical"}, {"value": "other"}], **(schema or {})}
    project = make_project(world, name=f"P {kind} {field}", kind=kind, label_schema=label_schema,
                           vendors=[world.offshore])
    make_items(project, 1)
    a = world.users["off_annotator"]
    lease = claim(a, project)
    with pytest.raises(SchemaError) as err:
        annotation_submit(actor=actor_for(a), lease_id=lease.pk, **payload)
    assert err.value.field == field
    assert not Annotation.objects.exists()
    assert Lease.objects.get(pk=lease.pk).state == LeaseState.ACTIVE


def test_span_offsets_are_against_the_redacted_text(world):
    project = make_project(world, name="Spans", kind="span", vendors=[world.offshore],
                           label_schema={"labels": [{"value": "phone"}, {"value": "other"}]})
    make_items(project, 1)
    a = world.users["off_annotator"]
    lease = claim(a, project)
    redacted = lease.item.view_text
    start = redacted.index("<PHONE>")
    raw_len = len(open_item_text(Item.objects.get(pk=lease.item_id)))
    assert raw_len > len(redacted)
    with pytest.raises(SchemaError):  # fits the raw text but not the redacted one
        annotation_submit(actor=actor_for(a), lease_id=lease.pk,
                          spans=[{"start": start, "end": raw_len, "label": "phone"}])
    result = annotation_submit(actor=actor_for(a), lease_id=lease.pk,
                               spans=[{"start": start, "end": start + 7, "label": "phone"}])
    assert result.annotation.spans == [{"start": start, "end": start + 7, "label": "phone"}]


# --- undo ---------------------------------------------------------------------------------------------------


def test_undo_within_the_window_reopens_and_leases_back(world, project):
    first, second = make_items(project, 2)
    a = world.users["off_annotator"]
    result = submit(a, claim(a, project))
    nxt = claim(a, project)  # the workspace claims the next item right away
    assert nxt.item_id == second.pk
    lease = annotation_undo(actor=actor_for(a), annotation_id=result.annotation.pk)
    assert lease.item_id == first.pk and lease.state == LeaseState.ACTIVE
    assert not Annotation.objects.filter(pk=result.annotation.pk).exists()
    first.refresh_from_db()
    assert first.state == ItemState.OPEN and first.annotation_count == 0 and first.lease_count == 1
    assert Lease.objects.get(pk=nxt.pk).state == LeaseState.RELEASED
    assert Item.objects.get(pk=second.pk).lease_count == 0
    submit(a, lease, label="other")
    assert Item.objects.get(pk=first.pk).state == ItemState.DONE


def test_undo_refused_after_the_window_or_for_an_older_submit(world, project):
    make_items(project, 3)
    a = world.users["off_annotator"]
    older = submit(a, claim(a, project))
    latest = submit(a, claim(a, project))
    with pytest.raises(UndoRefused, match="last"):
        annotation_undo(actor=actor_for(a), annotation_id=older.annotation.pk)
    Annotation.objects.filter(pk=latest.annotation.pk).update(created_at=timezone.now() - timedelta(seconds=11))
    with pytest.raises(UndoRefused, match="window"):
        annotation_undo(actor=actor_for(a), annotation_id=latest.annotation.pk)
    with pytest.raises(Annotation.DoesNotExist):
        annotation_undo(actor=actor_for(world.users["off_annotator2"]), annotation_id=latest.annotation.pk)


# --- gold ---------------------------------------------------------------------------------------------------


def test_gold_items_are_mixed_in_with_unlimited_overlap(world):
    project = make_project(world, name="Gold", gold_rate=1.0, vendors=[world.offshore])
    (gold,) = make_items(project, 1, start=100, is_gold=True, reference={"labels": ["billing"]})
    (normal,) = make_items(project, 1)
    users = make_annotators(world, 3, vendor=world.offshore)
    for user in users:
        lease = claim(user, project)
        assert lease.item_id == gold.pk and lease.is_gold  # every annotator sees it, overlap 1 or not
        submit(user, lease)
    gold.refresh_from_db()
    assert gold.annotation_count == 3 and gold.state == ItemState.OPEN and gold.lease_count == 0
    assert claim(users[0], project).item_id == normal.pk  # gold seen: the regular queue follows


def test_gold_rate_zero_never_serves_gold(world, project):
    make_items(project, 3, is_gold=True)
    assert claim(world.users["off_annotator"], project) is None


# --- the portable claim (SQLite's path) keeps the same rules ------------------------------------------------


def test_portable_claim_follows_the_same_rules(world):
    project = make_project(world, name="Portable", overlap=2, vendors=[world.offshore, world.onshore])
    pinned = make_items(project, 1, priority=9, pinned_vendor=world.onshore)
    internal = make_items(project, 1, start=5, priority=9, internal_only=True)
    items = make_items(project, 40, start=10)
    off = world.users["off_annotator"]
    route = claim_context(actor_for(off), project.pk).route
    now = timezone.now()

    def req(user_id: int) -> ClaimRequest:
        return ClaimRequest(project.pk, user_id, world.offshore.pk, 2, route, now, now + timedelta(minutes=5))

    lease = Lease.objects.get(pk=claim_portable(req(off.pk), gold=False)[0])
    assert lease.item_id not in {pinned[0].pk, internal[0].pk}
    assert route.lo <= lease.item_id % 100 < route.hi
    assert lease.item_id == min(i.pk for i in items if route.lo <= i.pk % 100 < route.hi)
    other = world.users["off_annotator2"]
    assert claim_portable(req(other.pk), gold=False)[3] == lease.item_id
    third = make_annotators(world, 1, vendor=world.offshore)[0]
    assert claim_portable(req(third.pk), gold=False)[3] != lease.item_id
    assert claim_portable(req(third.pk), gold=False) is None  # holds one already


def test_uncertainty_order_serves_the_least_confident_first_within_a_priority(world):
    from annotation.suggestions import Suggestion, suggestions_store

    project = make_project(world, name="Active", vendors=[world.offshore])
    low, mid, high, urgent = make_items(project, 4)
    Item.objects.filter(pk=urgent.pk).update(priority=5)
    confidence = {low.pk: 0.51, mid.pk: 0.7, high.pk: 0.99, urgent.pk: 0.99}
    suggestions_store(
        project=project, model_version="m",
        suggestions=[Suggestion(item_id=i, labels=["billing"], confidence=c, scores={}) for i, c in confidence.items()],
        uncertainty_order=True,
    )
    user = world.users["off_annotator"]
    order = []
    while (lease := claim(user, project)) is not None:
        order.append(lease.item_id)
        submit(user, lease)
    assert order == [urgent.pk, low.pk, mid.pk, high.pk]  # priority first, then the most uncertain
    # Without the option the queue keeps priority then age.
    plain = make_project(world, name="Plain order", vendors=[world.offshore])
    a, b = make_items(plain, 2, start=100)
    suggestions_store(project=plain, model_version="m", suggestions=[
        Suggestion(item_id=a.pk, labels=["billing"], confidence=0.99, scores={}),
        Suggestion(item_id=b.pk, labels=["billing"], confidence=0.5, scores={}),
    ])
    assert claim(user, plain).item_id == a.pk


def test_state_counts_of_a_slow_scan_are_kept_longer(world, project, monkeypatch):
    """A project whose item scan is slow keeps its counts 50 times the scan's time (at most a
    minute), so recounting costs at most 2% of a core however large the project."""
    from django.core.cache import cache

    from annotation.queueing import selectors

    assert [selectors.counts_ttl(s) for s in (0.001, 0.2, 0.4, 30)] == [5, 10, 20, 60]
    make_items(project, 3)
    cache.clear()
    ticks = iter([100.0, 100.4])  # the scan "took" 0.4 s
    monkeypatch.setattr(selectors, "monotonic", lambda: next(ticks))
    assert selectors._state_counts(project.pk)["total"] == 3
    key = cache.make_and_validate_key(f"queue:state-counts:{project.pk}")
    assert 15 < cache._cache.get_client().ttl(key) <= 20
    cache.clear()
