"""Promotion of fine-tuned versions: by hand, or automatically when better than the parent by a margin."""

from __future__ import annotations

from inference.models import ModelKind, ModelStatus, ModelVersion, ProjectModel
from training_export.finetune.service import promote, should_promote


def versions(delta: float) -> tuple[ModelVersion, ModelVersion]:
    base = ModelVersion.objects.create(
        name="base", kind=ModelKind.BASE, gguf_path="b.gguf", quantization="Q4_0", sha256="0", status="active"
    )
    child = ModelVersion.objects.create(
        name="child",
        kind=ModelKind.FINE_TUNED,
        gguf_path="c.gguf",
        quantization="Q4_0",
        sha256="1",
        parent=base,
        metrics={"delta": {"accuracy": delta, "macro_f1": delta, "ece": 0.0}},
    )
    return base, child


def test_should_promote_needs_the_margin(db) -> None:
    _, child = versions(0.03)
    assert should_promote(child, 0.02)
    assert not should_promote(child, 0.05)
    child.metrics = {}
    assert not should_promote(child, 0.0)  # never evaluated: never promoted automatically


def test_promote_activates_and_serves_the_project(project) -> None:
    base, child = versions(0.1)
    ProjectModel.objects.create(project=project, model_version=base)
    promote(version=child, project=project)
    child.refresh_from_db()
    assert child.status == ModelStatus.ACTIVE
    assert ProjectModel.objects.get(project=project).model_version == child
