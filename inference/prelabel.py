"""Pre-labeling: score a project's items with its model and store the suggestions, batch by batch.

The model reads the restricted view only (``annotation.suggestions.texts_for_model``). Workers keep
the scorer loaded (``serving.scorer_for``) and look the project's active version up per run, so an
activation takes effect without a restart. Each run is recorded with its throughput (PrelabelRun).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from annotation.models import Project
from annotation.schema import parse_schema
from annotation.suggestions import Suggestion, items_to_prelabel, suggestions_store, texts_for_model

from .models import PrelabelRun, ProjectModel
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


def prelabel_project(*, project_id: int, item_ids: Sequence[int] | None = None) -> RunResult:
    """Suggest labels for open items without a suggestion (or ``item_ids``). Idempotent: items that
    have a suggestion are skipped unless named."""
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
