"""The queue under real concurrency on PostgreSQL: threads with their own connections, no mocks."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from annotation.models import Annotation, Item, ItemState, Lease, LeaseState
from annotation.queueing.services import annotation_submit, lease_heartbeat, lease_skip
from tests.conftest import make_project
from workforce.access import actor_for

from .queue_support import claim, expire, make_annotators, make_items

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def run_threads(n: int, target: Callable[[int], Any]) -> list[Any]:
    """Run ``target(i)`` in n threads started together; re-raise the first error."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as e:
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def assert_consistent(project, overlap: int) -> None:
    """Every item done with exactly ``overlap`` distinct annotators; counters match the rows."""
    per_item = Counter(Annotation.objects.filter(item__project=project).values_list("item_id", flat=True))
    pairs = Counter(Annotation.objects.filter(item__project=project).values_list("item_id", "annotator_id"))
    assert max(pairs.values()) == 1
    for item in Item.objects.filter(project=project):
        assert per_item[item.pk] == overlap == item.annotation_count, item.pk
        assert item.state == ItemState.DONE
        assert item.lease_count == 0
    assert not Lease.objects.filter(project=project, state=LeaseState.ACTIVE).exists()


def test_16_threads_claim_and_submit_over_200_items_overlap_2(world):
    project = make_project(world, vendors=[world.offshore], overlap=2)
    make_items(project, 200)
    users = make_annotators(world, 16, vendor=world.offshore)

    def work(i: int) -> dict[str, int]:
        rng = random.Random(i)
        actor = actor_for(users[i])
        acked: dict[str, int] = {"submitted": 0, "skipped": 0}
        while (lease := claim(users[i], project)) is not None:
            assert lease.annotator_id == users[i].pk
            roll = rng.random()
            if roll < 0.05:
                lease_skip(actor=actor, lease_id=lease.pk, reason="stress")
                acked["skipped"] += 1
                continue
            if roll < 0.15:
                lease_heartbeat(actor=actor, lease_id=lease.pk)
            result = annotation_submit(
                actor=actor, lease_id=lease.pk, labels=[rng.choice(["billing", "other"])],
                client_key=f"{i}-{lease.pk}",
            )
            assert result.created
            acked["submitted"] += 1
        return acked

    results = run_threads(16, work)
    assert sum(r["submitted"] for r in results) == 400  # every acknowledged submit is stored, none twice
    assert_consistent(project, 2)


def test_same_annotator_claiming_in_parallel_gets_one_lease(world, project):
    make_items(project, 20)
    user = world.users["off_annotator"]
    leases = run_threads(8, lambda i: claim(user, project).pk)
    assert len(set(leases)) == 1
    assert Lease.objects.filter(annotator=user, state=LeaseState.ACTIVE).count() == 1
    assert Item.objects.filter(project=project, lease_count__gt=0).count() == 1


def test_parallel_identical_submits_count_once(world, project):
    (item,) = make_items(project, 1)
    user = world.users["off_annotator"]
    lease = claim(user, project)

    def submit(i: int) -> tuple[int, bool]:
        result = annotation_submit(actor=actor_for(user), lease_id=lease.pk, labels=["billing"], client_key="dup")
        return result.annotation.pk, result.created

    results = run_threads(6, submit)
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Item.objects.get(pk=item.pk).annotation_count == 1


def test_killed_annotators_items_come_back_after_expiry(world):
    project = make_project(world, vendors=[world.offshore], overlap=2)
    make_items(project, 60)
    killed = make_annotators(world, 8, vendor=world.offshore, prefix="killed")
    alive = make_annotators(world, 6, vendor=world.offshore, prefix="alive")
    # Eight people claim and vanish mid-lease, in parallel.
    dead = run_threads(8, lambda i: claim(killed[i], project))
    held = Counter(lease.item_id for lease in dead)
    assert max(held.values()) <= 2  # locked rows are skipped, so they spread; never past overlap
    # Their time runs out; nobody cleans up.
    for lease in dead:
        expire(lease)

    def work(i: int) -> int:
        done = 0
        while (lease := claim(alive[i], project)) is not None:
            annotation_submit(actor=actor_for(alive[i]), lease_id=lease.pk, labels=["billing"])
            done += 1
        return done

    assert sum(run_threads(6, work)) == 120
    Lease.objects.filter(pk__in=[lease.pk for lease in dead]).update(state=LeaseState.EXPIRED)
    assert_consistent(project, 2)
    assert not Annotation.objects.filter(annotator__in=killed).exists()
    assert Annotation.objects.filter(item_id__in=held).count() == 2 * len(held)


def test_claims_racing_for_the_last_slot(world):
    project = make_project(world, vendors=[world.offshore], overlap=3)
    make_items(project, 1)
    users = make_annotators(world, 12, vendor=world.offshore)
    got = [lease for lease in run_threads(12, lambda i: claim(users[i], project)) if lease is not None]
    assert len(got) == 3
    assert Item.objects.get(project=project).lease_count == 3
