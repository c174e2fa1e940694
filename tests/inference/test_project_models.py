"""An ML engineer activates a model for a project and fits its calibration on human answers."""

from __future__ import annotations

import random

import pytest

from annotation.models import Annotation
from annotation.suggestions import Suggestion, suggestions_store
from inference.models import ModelKind, ModelStatus, ModelVersion, PrelabelRun, ProjectModel
from tests.annotation.queue_support import make_items
from tests.conftest import make_project


@pytest.fixture
def version(db):
    return ModelVersion.objects.create(name="base-q4", kind=ModelKind.BASE, gguf_path="x.gguf", quantization="Q4_0",
                                       sha256="0" * 64, status=ModelStatus.STAGED)


def test_ml_engineers_activate_a_version_per_project(world, version):
    project = make_project(world, vendors=[world.offshore])
    url = f"/api/v1/projects/{project.pk}/model"
    body = {"model_version": "base-q4", "auto_accept_threshold": 0.95, "uncertainty_order": True}
    for user in ("off_manager", "off_annotator", "reviewer", "annotator", "stranger"):
        assert world.client(user).put(url, body, format="json").status_code in (403, 404)
    response = world.client("ml").put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["model_version"] == "base-q4" and response.json()["uncertainty_order"] is True
    config = ProjectModel.objects.get(project=project)
    assert (config.model_version_id, config.auto_accept_threshold) == (version.pk, 0.95)
    assert ModelVersion.objects.get(pk=version.pk).status == ModelStatus.ACTIVE
    bad = world.client("ml").put(url, {"model_version": "nope"}, format="json")
    assert bad.status_code == 400 and "nope" in bad.content.decode()
    PrelabelRun.objects.create(project=project, model_version=version, items=100, seconds=4.0)
    runs = world.client("ml").get(url).json()["runs"]
    assert runs[0]["items_per_s"] == 25.0


def test_calibration_fits_a_temperature_on_human_answers(world, version):
    project = make_project(world, vendors=[world.offshore], overlap=1)
    ProjectModel.objects.create(project=project, model_version=version)
    items = make_items(project, 60)
    rng = random.Random(3)
    # An over-confident model: always 0.99 on its pick, right 70 % of the time.
    suggestions = []
    for item in items:
        truth = rng.choice(["billing", "technical"])
        pick = truth if rng.random() < 0.7 else ("technical" if truth == "billing" else "billing")
        other = "technical" if pick == "billing" else "billing"
        suggestions.append(Suggestion(item_id=item.pk, labels=[pick], confidence=0.99,
                                      scores={pick: 0.99, other: 0.005, "other": 0.005}))
        Annotation.objects.create(item=item, annotator=world.users["off_annotator"], labels=[truth])
    suggestions_store(project=project, suggestions=suggestions, model_version=version.name)
    too_early = world.client("ml").post(f"/api/v1/projects/{project.pk}/model/calibrate")
    assert too_early.status_code == 200, too_early.content
    result = too_early.json()
    assert result["items"] == 60
    assert result["temperature"] > 1.5  # over-confident scores get softened
    assert result["ece_after"] < result["ece_before"]
    config = ProjectModel.objects.get(project=project)
    assert config.temperature == pytest.approx(result["temperature"])
    assert config.ece == pytest.approx(result["ece_after"])
    assert world.client("off_manager").post(f"/api/v1/projects/{project.pk}/model/calibrate").status_code == 403


def test_calibration_needs_enough_answers(world, version):
    project = make_project(world)
    ProjectModel.objects.create(project=project, model_version=version)
    response = world.client("ml").post(f"/api/v1/projects/{project.pk}/model/calibrate")
    assert response.status_code == 400 and "needs 20" in response.content.decode()
