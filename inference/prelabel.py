"""Pre-labeling: score a project's items with its model and store the suggestions, batch by batch.

The model reads the restricted view only (``annotation.suggestions.texts_for_model``). Workers keep
the scorer loaded (``serving.scorer_for``) and look the project's active version up per run, so an
activation takes effect without a restart. Each run is recorded with its throughput (PrelabelRun).

A run over a project's pending items holds the project's run lock (``runlocks.py``) and commits
batch by batch, so a worker killed mid-run loses at most the batch in hand: the lock goes with the
worker, and ``prelabel_pending_recover`` (beat, worker start) sends the project again; the next run
skips what has a suggestion. A model annotation is never added twice (``suggestions_store``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from annotation.models import Item, ItemState, Project
from annotation.schema import parse_schema
from annotation.suggestions import Suggestion, items_to_prelabel, suggestions_store, texts_for_model

from .models import PrelabelRun, ProjectModel
from .runlocks import is_running, run_lock
from .serving import layout_for, predict

log = logging.getLogger(__name__)


class NotPrelabelable(Exception):
    """The project has no model configured, or its kind is not a classification."""


@dataclass(frozen=True)
class RunResult:
    items: int
    auto_accepted: int
    seconds: float

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def project_labels(project: Project) -> list[str]:
    labelset = parse_schema(project.kind, project.label_schema)
    if project.kind not in ("single_label", "multi_label"):
        raise NotPrelabelable(f"pre-labeling covers single- and multi-label projects, not {project.kind!r}")
    return list(labelset.ordered)


# Rounds of "what is still pending" one run does (items imported while it ran are picked up too).
MAX_ROUNDS = 5


def prelabel_project(*, project_id: int, item_ids: Sequence[int] | None = None) -> RunResult:
    """Suggest labels for open items without a suggestion (or ``item_ids``). Idempotent: items that
    have a suggestion are skipped unless named. A run over pending items that finds another live
    run on the project returns at once (that run does them)."""
    if item_ids is not None:
        return _prelabel(project_id=project_id, item_ids=item_ids)
    with run_lock("prelabel", project_id) as mine:
        if not mine:
            log.info("pre-labeling of project %s is running in another worker", project_id)
            return RunResult(items=0, auto_accepted=0, seconds=0.0)
        total = RunResult(items=0, auto_accepted=0, seconds=0.0)
        for _ in range(MAX_ROUNDS):
            done = _prelabel(project_id=project_id, item_ids=None)
            total = RunResult(total.items + done.items, total.auto_accepted + done.auto_accepted,
                              total.seconds + done.seconds)
            if not done.items:
                break
        return total


def _prelabel(*, project_id: int, item_ids: Sequence[int] | None) -> RunResult:
    project = Project.objects.get(pk=project_id)
    config = ProjectModel.objects.select_related("model_version").filter(project=project).first()
    if config is None:
        raise NotPrelabelable("no model is configured for this project")
    labels = project_labels(project)
    version = config.model_version
    todo = items_to_prelabel(project=project, item_ids=item_ids)
    batch_size = int(settings.QUORUM["INFERENCE_BATCH_ITEMS"])
    instruction = project.instruction or version.instruction or "Classify the text."
    started = time.perf_counter()
    accepted = 0
    for start in range(0, len(todo), batch_size):
        texts = texts_for_model(item_ids=todo[start : start + batch_size])
        ids = list(texts)
        predictions = predict(
            version, instruction=instruction, labels=labels, texts=[texts[i] for i in ids],
            temperature=config.temperature, max_item_tokens=config.max_item_tokens, layout=layout_for(version),
        )
        accepted += suggestions_store(
            project=project,
            suggestions=[
                Suggestion(item_id=i, labels=[p.label], confidence=p.confidence, scores=p.scores)
                for i, p in zip(ids, predictions, strict=True)
            ],
            model_version=version.name,
            auto_accept_threshold=config.auto_accept_threshold,
            uncertainty_order=config.uncertainty_order,
        )
    seconds = time.perf_counter() - started
    if todo:
        PrelabelRun.objects.create(
            project=project, model_version=version, items=len(todo), seconds=seconds, auto_accepted=accepted
        )
        log.info("pre-labeled %d items of project %s in %.1f s (%.1f items/s)", len(todo), project_id, seconds,
                 len(todo) / seconds if seconds else 0.0)
    return RunResult(items=len(todo), auto_accepted=accepted, seconds=seconds)


def wants_prelabel(project_id: int) -> bool:
    return ProjectModel.objects.filter(project_id=project_id, prelabel=True).exists()


@dataclass
class PendingSent:
    projects: list[int] = field(default_factory=list)
    items: int = 0


def prelabel_pending_recover(*, send: Callable[[int], object], now: datetime | None = None) -> PendingSent:
    """Send pre-labeling again for projects with items left without a suggestion for longer than
    ``JOB_STALE_SECONDS`` and no live run (a dead inference worker's, or a message that was lost)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=float(settings.QUORUM["JOB_STALE_SECONDS"]))
    pending = Item.objects.filter(
        project_id=OuterRef("project_id"), state=ItemState.OPEN, suggestion__isnull=True, created_at__lt=cutoff
    )
    out = PendingSent()
    for project_id in (
        ProjectModel.objects.filter(prelabel=True).filter(Exists(pending)).values_list("project_id", flat=True)
    ):
        if is_running("prelabel", project_id):
            continue
        try:
            send(project_id)
        except Exception:  # the broker is down: the next pass tries again
            log.warning("could not re-send pre-labeling of project %s", project_id, exc_info=True)
            continue
        out.projects.append(project_id)
    if out.projects:
        log.warning("re-sent pre-labeling of projects %s", out.projects)
    return out
