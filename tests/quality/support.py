"""Helpers for the quality tests: a world with gold items and a few annotators working a project."""

from __future__ import annotations

from typing import Any

from annotation.models import Item, Project
from tests.annotation.queue_support import claim, make_annotators, make_items, submit
from tests.conftest import World, make_project
from workforce.models import User

LABELS = ["billing", "technical", "other"]


def fold() -> int:
    """Fold every marked item into the agreement counts (what the Celery task does)."""
    from quality.agreement import agreement_fold

    total = 0
    while n := agreement_fold():
        total += n
    return total


__all__ = ["LABELS", "claim", "fold", "gold_items", "make_annotators", "make_items", "project_with", "submit", "work"]


def project_with(world: World, **kwargs: Any) -> Project:
    """A project routed to the offshore vendor only: with two vendors items are split between them by
    id, and a test's few gold items could all fall to the other one."""
    return make_project(world, vendors=[world.offshore], **kwargs)


def gold_items(project: Project, n: int, answer: str = "billing") -> list[Item]:
    items = make_items(project, n, start=50_000, is_gold=True)
    Item.objects.filter(pk__in=[i.pk for i in items]).update(reference={"labels": [answer]})
    return items


def work(user: User, project: Project, answer: Any, *, ms: int = 4000, limit: int = 1000) -> list[Any]:
    """Claim and submit until nothing is free (or ``limit``). ``answer(lease) -> label``."""
    done = []
    for _ in range(limit):
        lease = claim(user, project)
        if lease is None:
            break
        label = answer(lease) if callable(answer) else answer
        done.append(submit(user, lease, label, time_spent_ms=ms))
    return done
