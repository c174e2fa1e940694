"""Lineage and erasure: which snapshots and model versions used an item; erasing it marks them and
keeps it out of every later snapshot, even when the same record is imported again."""

from __future__ import annotations

import orjson
import pytest

from inference.models import ModelKind, ModelVersion
from training_export.build import run_build, snapshot_path
from training_export.models import Erasure, Snapshot
from training_export.selectors import model_versions_for_snapshot, snapshots_for_item
from training_export.services import erase_item, snapshot_create
from workforce.access import AccessDenied, actor_for

from .conftest import add_item, answer


def _snapshot(world, project) -> Snapshot:
    return run_build(snapshot_create(actor=actor_for(world.users["ml"]), project=project, enqueue=False).pk)


def _ids(snapshot: Snapshot) -> set[str]:
    return {orjson.loads(x)["id"] for x in snapshot_path(snapshot).read_bytes().splitlines()}


@pytest.fixture
def items(world, project):
    out = []
    for i in range(5):
        item = add_item(project, f"subj-{i}")
        answer(item, world.users["annotator"], ["billing"])
        out.append(item)
    return out


def _model_version(snapshot: Snapshot, name: str) -> ModelVersion:
    base = ModelVersion.objects.create(
        name=f"base-{name}", kind=ModelKind.BASE, gguf_path="x", quantization="Q4_0", sha256="0" * 64
    )
    return ModelVersion.objects.create(
        name=name,
        kind=ModelKind.FINE_TUNED,
        gguf_path="y",
        quantization="Q4_0",
        sha256="1" * 64,
        parent=base,
        metrics={"lineage": {"snapshot_id": snapshot.pk}},
    )


def test_lineage_lists_snapshots_and_model_versions(world, project, items, snapshot_dir):
    first = _snapshot(world, project)
    late = add_item(project, "late")
    answer(late, world.users["annotator"], ["other"])
    second = _snapshot(world, project)
    version = _model_version(first, "ft-1")
    assert list(snapshots_for_item(item_id=items[0].pk)) == [second, first]
    assert list(snapshots_for_item(item_id=late.pk)) == [second]
    assert list(model_versions_for_snapshot(snapshot_ids=[first.pk])) == [version]
    assert list(model_versions_for_snapshot(snapshot_ids=[second.pk])) == []
    body = world.client("ml").get(f"/api/v1/export/items/{items[0].pk}/lineage").json()
    assert [s["id"] for s in body["snapshots"]] == [second.pk, first.pk]
    assert [v["name"] for v in body["model_versions"]] == ["ft-1"]
    assert world.client("off_manager").get(f"/api/v1/export/items/{items[0].pk}/lineage").status_code == 403


def test_erasure_marks_snapshots_and_excludes_the_item_for_good(world, project, items, snapshot_dir, audit_log):
    old = _snapshot(world, project)
    version = _model_version(old, "ft-2")
    victim = items[2]
    victim_id = victim.pk
    erasure = erase_item(item=victim, actor=actor_for(world.users["admin"]), reason="GDPR art. 17 request #12")
    assert erasure.affected == {"snapshots": [old.pk], "model_versions": [version.pk]}
    assert not project.items.filter(pk=victim_id).exists() and erasure.item_id == victim_id
    old.refresh_from_db()
    assert old.erased_items == 1 and old.erased_at is not None
    assert "subj-2" in _ids(old)  # the old file is immutable: the mark says a rebuild is due
    assert audit_log[-1]["action"] == "export.item_erased" and audit_log[-1]["item_ids"] == [victim_id]
    # lineage survives the deletion
    assert list(snapshots_for_item(item_id=victim_id)) == [old]
    new = _snapshot(world, project)
    assert "subj-2" not in _ids(new) and new.erased_items == 0
    # the data comes back in a later import: still left out, and counted
    again = add_item(project, "subj-2")
    answer(again, world.users["annotator"], ["billing"])
    newer = _snapshot(world, project)
    assert "subj-2" not in _ids(newer)
    assert newer.counts["excluded"]["erased"] == 1
    assert newer.sha256 == new.sha256


def test_only_admins_erase(world, project, items, snapshot_dir, audit_log):
    for name in ("ml", "annotator", "off_manager"):
        with pytest.raises(AccessDenied):
            erase_item(item=items[0], actor=actor_for(world.users[name]), reason="x")
    assert world.client("ml").post(f"/api/v1/export/items/{items[0].pk}/erase", {"reason": "x"}).status_code == 403
    response = world.client("admin").post(f"/api/v1/export/items/{items[0].pk}/erase", {"reason": "request 7"})
    assert response.status_code == 200, response.content
    assert Erasure.objects.count() == 1
    again = world.client("admin").post(f"/api/v1/export/items/{items[0].pk}/erase", {"reason": "again"})
    assert again.status_code == 404
