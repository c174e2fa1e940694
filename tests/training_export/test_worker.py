"""A snapshot requested through the API is built by a real Celery worker (default queue)."""

from __future__ import annotations

import hashlib
import time

import orjson
import pytest

from training_export.models import Snapshot, SnapshotStatus

from .conftest import add_item, answer


def _wait(snapshot_id: int, seconds: float = 90) -> Snapshot:
    deadline = time.monotonic() + seconds
    snap = Snapshot.objects.get(pk=snapshot_id)
    while time.monotonic() < deadline:
        snap = Snapshot.objects.get(pk=snapshot_id)
        if snap.status in (SnapshotStatus.READY, SnapshotStatus.FAILED):
            return snap
        time.sleep(0.2)
    raise AssertionError(f"snapshot {snapshot_id} still {snap.status}")


@pytest.mark.slow
def test_the_worker_builds_a_snapshot_requested_over_the_api(snapshot_dir, celery_worker, world, project):
    for i in range(50):
        item = add_item(project, f"w{i}", purposes=["annotation"] if i % 10 == 0 else None)
        answer(item, world.users["annotator"], ["billing" if i % 2 else "other"])
    client = world.client("ml")
    response = client.post("/api/v1/export/snapshots", {"project": project.pk, "format": "jsonl"}, format="json")
    assert response.status_code == 202, response.content
    snap = _wait(response.json()["id"])
    assert snap.status == SnapshotStatus.READY, snap.error
    assert snap.row_count == 45 and snap.counts["excluded"]["purpose"] == 5
    # the worker wrote into this test's snapshot directory, under the content address
    path = snapshot_dir / snap.file_name
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == snap.sha256
    download = client.get(f"/api/v1/export/snapshots/{snap.pk}/download")
    assert b"".join(download.streaming_content) == data
    assert {orjson.loads(x)["id"] for x in data.splitlines()} == {f"w{i}" for i in range(50) if i % 10}
    # the same request again lands on the same file
    again = _wait(client.post("/api/v1/export/snapshots", {"project": project.pk}, format="json").json()["id"])
    assert again.sha256 == snap.sha256 and again.pk != snap.pk
