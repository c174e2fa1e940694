"""An ML engineer's controls over a project's model: activate a version, fit its calibration.

Activation takes effect on the next batch of every worker (they look the version up per run).
Calibration fits a temperature on the project's items that have both a model suggestion and a human
answer (gold reference or the annotators' majority), and records the expected calibration error.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from annotation import selectors as annotation_selectors
from annotation.models import Annotation, AnnotationSource, Item, Project
from workforce.access import AccessDenied, Actor
from workforce.models import Role

from .models import ModelStatus, ModelVersion, ProjectModel

MIN_CALIBRATION_ITEMS = 20


def check_model_admin(actor: Actor) -> None:
    if not (actor.is_internal and actor.has_role(Role.ML_ENGINEER)):
        raise AccessDenied("Only internal ML engineers and admins manage project models.")


def project_model_set(*, actor: Actor, project_id: int, model_version: str, **options: Any) -> ProjectModel:
    """Activate ``model_version`` for the project (and set prelabel / auto_accept_threshold /
    uncertainty_order / max_item_tokens). A retired version cannot serve."""
    check_model_admin(actor)
    project = annotation_selectors.project_get(actor, project_id)
    version = ModelVersion.objects.filter(name=model_version).first()
    if version is None or version.status == ModelStatus.RETIRED:
        raise ValueError(f"no usable model version {model_version!r}")
    allowed = {"prelabel", "auto_accept_threshold", "uncertainty_order", "max_item_tokens"}
    unknown = set(options) - allowed
    if unknown:
        raise ValueError(f"unknown option {sorted(unknown)[0]!r}")
    with transaction.atomic():
        config, _ = ProjectModel.objects.update_or_create(
            project=project, defaults={"model_version": version, **options}
        )
        if version.status == ModelStatus.STAGED:
            ModelVersion.objects.filter(pk=version.pk).update(status=ModelStatus.ACTIVE)
    return config


@dataclass(frozen=True)
class Calibrated:
    items: int
    temperature: float
    ece_before: float
    ece_after: float


def _human_answer(item: Item, votes: Counter[str]) -> str | None:
    if item.is_gold and item.reference and item.reference.get("labels"):
        return str(item.reference["labels"][0])
    if not votes:
        return None
    (top, n), *rest = [*votes.most_common(2), ("", 0)]
    return top if n > rest[0][1] else None  # a tie is no answer


def calibrate_project(*, actor: Actor, project_id: int) -> Calibrated:
    """Fit the project's temperature on human-answered, pre-labeled items; store it with the ECE."""
    import numpy as np

    from .runtime.calibration import expected_calibration_error, fit_temperature, softmax

    check_model_admin(actor)
    project: Project = annotation_selectors.project_get(actor, project_id)
    config = ProjectModel.objects.filter(project=project).first()
    if config is None:
        raise ValueError("the project has no model")
    labels = [str(label["value"]) for label in project.label_schema.get("labels", [])]
    index = {label: i for i, label in enumerate(labels)}
    items = {
        i.pk: i
        for i in Item.objects.filter(project=project, suggestion__isnull=False).only(
            "pk", "is_gold", "reference", "suggestion"
        )
    }
    votes: dict[int, Counter[str]] = {pk: Counter() for pk in items}
    for item_id, given in Annotation.objects.filter(item_id__in=items, source=AnnotationSource.HUMAN).values_list(
        "item_id", "labels"
    ):
        if given:
            votes[item_id][str(given[0])] += 1
    rows, answers = [], []
    for pk, item in items.items():
        answer = _human_answer(item, votes[pk])
        scores = (item.suggestion or {}).get("scores") or {}
        if answer not in index or set(scores) != set(labels):
            continue
        # Stored scores were calibrated with the current temperature: undo it to get the raw logits.
        rows.append([config.temperature * math.log(max(float(scores[label]), 1e-9)) for label in labels])
        answers.append(index[answer])
    if len(rows) < MIN_CALIBRATION_ITEMS:
        raise ValueError(
            f"calibration needs {MIN_CALIBRATION_ITEMS} human-answered pre-labeled items, the project has {len(rows)}"
        )
    logits, y = np.asarray(rows), np.asarray(answers)
    temperature = fit_temperature(logits, y)
    before = expected_calibration_error(softmax(logits / config.temperature), y)
    after = expected_calibration_error(softmax(logits / temperature), y)
    ProjectModel.objects.filter(pk=config.pk).update(temperature=temperature, ece=after)
    return Calibrated(items=len(rows), temperature=temperature, ece_before=before, ece_after=after)
