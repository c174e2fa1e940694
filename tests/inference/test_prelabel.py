"""Pre-labeling with the real bundled model: suggestions stored and served, auto-accept, the import hook."""

from __future__ import annotations

import time

import pytest

from annotation.models import Annotation, AnnotationSource, Item, ItemState
from inference.models import PrelabelRun, ProjectModel
from inference.prelabel import NotPrelabelable, prelabel_project
from inference.store import ensure_base_models
from tests.conftest import make_project
from tests.privacy_integration.support import import_records

pytestmark = [pytest.mark.model, pytest.mark.slow]

REVIEWS = [
    {"id": "r1", "text": "A wonderful, moving film. I loved every minute of it."},
    {"id": "r2", "text": "Dull, boring and far too long. I hated it and walked out."},
    {"id": "r3", "text": "Brilliant acting and a beautiful story, a real delight."},
    {"id": "g1", "text": "Terrible. The worst movie of the year.", "gold": True, "label": "negative"},
]


def _project(world, **model):
    project = make_project(
        world, vendors=[world.offshore], name=f"Reviews {time.monotonic_ns()}", overlap=2,
        instruction="Is this movie review positive or negative?",
        label_schema={"labels": [{"value": "positive"}, {"value": "negative"}]},
    )
    ProjectModel.objects.create(project=project, model_version=ensure_base_models(), **model)
    return project


def test_suggestions_are_stored_with_the_model_version_and_served_in_the_claim(world):
    project = _project(world)
    import_records(world, project, REVIEWS)
    result = prelabel_project(project_id=project.pk)
    assert result.items == 4 and result.auto_accepted == 0
    items = {i.external_id: i for i in Item.objects.filter(project=project)}
    version = ProjectModel.objects.get(project=project).model_version.name
    for item in items.values():
        s = item.suggestion
        assert s["model_version"] == version and s["labels"][0] in ("positive", "negative")
        assert 0.5 <= s["confidence"] <= 1 and abs(sum(s["scores"].values()) - 1) < 1e-3
    assert items["r1"].suggestion["labels"] == ["positive"] and items["r2"].suggestion["labels"] == ["negative"]
    assert not Annotation.objects.filter(item__project=project).exists()
    assert PrelabelRun.objects.get(project=project).items == 4
    # Idempotent: nothing left without a suggestion.
    assert prelabel_project(project_id=project.pk).items == 0
    lease = world.client("off_annotator").post(f"/api/v1/projects/{project.pk}/claim").json()["lease"]
    assert lease["suggestion"]["model_version"] == version
    assert lease["suggestion"]["labels"][0] in ("positive", "negative")


def test_confident_suggestions_count_as_one_model_annotation_but_never_on_gold(world):
    project = _project(world, auto_accept_threshold=0.01)
    import_records(world, project, REVIEWS)
    result = prelabel_project(project_id=project.pk)
    assert result.auto_accepted == 3
    model_annotations = Annotation.objects.filter(item__project=project, source=AnnotationSource.MODEL)
    assert sorted(model_annotations.values_list("item__external_id", flat=True)) == ["r1", "r2", "r3"]
    for item in Item.objects.filter(project=project, is_gold=False):
        assert (item.annotation_count, item.state) == (1, ItemState.OPEN)  # overlap 2: a human still labels it
    assert Item.objects.get(project=project, is_gold=True).annotation_count == 0
    # Re-running never counts twice.
    every = list(Item.objects.filter(project=project).values_list("pk", flat=True))
    prelabel_project(project_id=project.pk, item_ids=every)
    assert model_annotations.count() == 3


def test_span_projects_are_not_prelabeled(world):
    project = make_project(world, kind="span", label_schema={"labels": [{"value": "who"}]})
    ProjectModel.objects.create(project=project, model_version=ensure_base_models())
    with pytest.raises(NotPrelabelable):
        prelabel_project(project_id=project.pk)


def test_the_import_queues_prelabeling_on_the_inference_worker(world, celery_worker):
    project = _project(world)
    import_records(world, project, REVIEWS[:2])  # the post-store hook queues the task
    deadline = time.monotonic() + 120
    while Item.objects.filter(project=project, suggestion__isnull=True).exists():
        assert time.monotonic() < deadline, "the inference worker did not pre-label the imported items"
        time.sleep(0.5)
    assert PrelabelRun.objects.filter(project=project).exists()
