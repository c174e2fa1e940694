"""Fine-tuning, the Django side: pick the parent's weights, run the pipeline, register and promote versions."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from inference.models import ModelKind, ModelStatus, ModelVersion, ProjectModel
from inference.runtime.prompting import TaskSpec
from inference.store import (
    absolute_path,
    ensure_base_models,
    model_dir,
    register_file,
    shipped_base_path,
    verified_path,
)

from .data import Record
from .pipeline import FineTuneResult, evaluate_against_parent, finetune
from .trainer import FineTuneConfig, ProgressFn

log = logging.getLogger(__name__)

FINETUNED_DIR = "finetuned"


def training_weights(version: ModelVersion) -> Path:
    """The highest-precision GGUF of ``version`` to train from: a fine-tune's master file, the shipped base."""
    if version.kind == ModelKind.BASE:
        return shipped_base_path()
    master = (version.metrics or {}).get("lineage", {}).get("master_gguf")
    if master:
        path = Path(master)
        path = path if path.is_absolute() else model_dir() / path
        if path.is_file():
            return path
    return verified_path(version)


def finetune_version(
    *,
    name: str,
    instruction: str,
    labels: Sequence[str],
    train: Sequence[Record],
    test: Sequence[Record] = (),
    parent: ModelVersion | None = None,
    config: FineTuneConfig | None = None,
    lineage: dict[str, Any] | None = None,
    produced_by_job: str = "",
    on_progress: ProgressFn | None = None,
    should_cancel: Callable[[], bool] | None = None,
    workdir: Path | None = None,
    auto_promote_margin: float | None = None,
    project: Any = None,
) -> ModelVersion:
    """Fine-tune ``parent`` (default: the serving base) and register the result as a staged version.

    ``test`` records are scored by child and parent (llama.cpp, serving files); with
    ``auto_promote_margin``, a child whose test accuracy beats the parent's by at least that margin
    is promoted (activated, and made the model of ``project`` when given).
    """
    if ModelVersion.objects.filter(name=name).exists():
        raise ValueError(f"a model version named {name!r} exists already")
    parent = parent or ensure_base_models()
    spec = TaskSpec(instruction, tuple(labels))
    quant = settings.QUORUM["SERVING_QUANT"].upper()
    out_dir = model_dir() / FINETUNED_DIR / name
    result: FineTuneResult = finetune(
        base_gguf=training_weights(parent),
        spec=spec,
        records=train,
        out_dir=out_dir,
        name=name,
        config=config,
        workdir=workdir,
        serving_quant=quant,
        lineage={"parent": parent.name, **(lineage or {})},
        on_progress=on_progress,
        should_cancel=should_cancel,
    )
    if test:
        result.evaluation = evaluate_against_parent(
            child=result.serving_path, parent=verified_path(parent), spec=spec, test=test
        )
    stored_master = result.master_path.relative_to(model_dir())
    metrics = {
        **result.metrics(),
        # How the version must be asked (inference.serving.layout_for): the layout it was trained on.
        "prompt_layout": {"answer_prefix": spec.answer_prefix, "quote_item": spec.quote_item,
                          "item_label": spec.item_label},
        "lineage": {
            "parent": parent.name,
            "parent_sha256": parent.sha256,
            "data_sha256": result.data_sha256,
            "train_items": len(train),
            "hyperparameters": result.config,
            "master_gguf": str(stored_master),
            "master_type": result.master_type,
            **(lineage or {}),
        },
    }
    with transaction.atomic():
        version = register_file(
            name=name,
            path=result.serving_path,
            kind=ModelKind.FINE_TUNED,
            quantization=result.serving_quant,
            parent=parent,
            labels=list(labels),
            instruction=instruction,
            metrics=metrics,
            status=ModelStatus.STAGED,
            produced_by_job=produced_by_job,
        )
    if auto_promote_margin is not None and should_promote(version, auto_promote_margin):
        promote(version=version, project=project)
        version.refresh_from_db()
    return version


def should_promote(version: ModelVersion, margin: float) -> bool:
    """Whether the version's test accuracy beats its parent's on the same split by at least ``margin``."""
    delta: dict[str, Any] = (version.metrics or {}).get("delta") or {}
    return "accuracy" in delta and float(delta["accuracy"]) >= margin


def promote(*, version: ModelVersion, project: Any = None) -> ModelVersion:
    """Activate ``version``; with a project, make it the project's model (the previous one stays registered)."""
    with transaction.atomic():
        version.status = ModelStatus.ACTIVE
        version.save(update_fields=["status"])
        if project is not None:
            ProjectModel.objects.update_or_create(project=project, defaults={"model_version": version})
    return version


def discard_files(version: ModelVersion) -> None:
    """Remove a fine-tuned version's folder from the store (used when a staged version is rejected)."""
    folder = absolute_path(version).parent
    if version.kind == ModelKind.FINE_TUNED and folder.parent == model_dir() / FINETUNED_DIR:
        shutil.rmtree(folder, ignore_errors=True)
