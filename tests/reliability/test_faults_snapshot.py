"""Fault: the Celery worker building a snapshot is SIGKILLed mid-write.

Nothing half-written becomes visible (the row is not ready, no file under a content address), and
the recovery a new worker runs at start builds the same row to the same bytes as a clean build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from annotation.models import Project
from tests.conftest import World, make_project, services_env
from training_export.build import run_build
from training_export.models import Snapshot, SnapshotStatus
from training_export.services import snapshot_create
from workforce.access import actor_for

from .faultkit import start_worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ITEMS = 40_000  # enough rows that the build is still writing when the test kills it


def _load(project: Project, world: World, n: int) -> None:
    """n items, each with one human answer, in two set-based statements."""
    annotator = world.users["off_annotator"]
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO annotation_item (project_id, external_id, text_sealed, text_redacted, text_pseudonymized,
                redaction_version, media, metadata, source_system, jurisdiction, allowed_purposes, content_hash,
                state, priority, is_gold, internal_only, annotation_count, lease_count, created_at, updated_at)
            SELECT %(p)s, 'snap-' || g, ''::bytea, 'Ticket ' || g || ': my parcel arrived damaged, please help.',
                'Ticket ' || g || ': my parcel arrived damaged, please help.', 1, '', '{}'::jsonb, 'fault', '',
                '["annotation", "model_training", "evaluation"]'::jsonb, md5(g::text), 'done', 0, FALSE, FALSE,
                1, 0, now(), now()
            FROM generate_series(1, %(n)s) AS g
            """,
            {"p": project.pk, "n": n},
        )
        cur.execute(
            """
            INSERT INTO annotation_annotation (item_id, annotator_id, vendor_id, labels, spans, comment,
                time_spent_ms, source, model_version, client_key, created_at, updated_at)
            SELECT i.id, %(u)s, %(v)s, jsonb_build_array(CASE WHEN i.id %% 3 = 0 THEN 'billing' ELSE 'other' END),
                '[]'::jsonb, '', 1000, 'human', '', '', now(), now()
            FROM annotation_item i WHERE i.project_id = %(p)s
            """,
            {"p": project.pk, "u": annotator.pk, "v": annotator.vendor_id},
        )


def _visible_files(root: Path) -> list[Path]:
    """Files a reader could take for a snapshot: everything outside the builder's tmp/ folder."""
    return [p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts]


def test_worker_killed_mid_snapshot_leaves_nothing_visible_and_the_rebuild_is_identical(
    transactional_db: Any, world: World, tmp_path: Path, settings: Any
) -> None:
    root = tmp_path / "snapshots"
    settings.QUORUM = {**settings.QUORUM, "SNAPSHOT_DIR": root, "JOB_STALE_SECONDS": 2}
    env = services_env(QUORUM_SNAPSHOT_DIR=str(root), QUORUM_JOB_STALE_SECONDS="2")
    project = make_project(world, vendors=[world.offshore], name="Snapshot faults")
    _load(project, world, ITEMS)

    first = start_worker(env, tmp_path / "worker-1.log", queues=["default"]).wait_ready()
    second = None
    try:
        response = world.client("ml").post(
            "/api/v1/export/snapshots", {"project": project.pk, "format": "jsonl"}, format="json"
        )
        assert response.status_code == 202, response.content
        snap_id = response.json()["id"]

        def writing() -> bool:  # the build is past its first megabyte of rows
            parts = list((root / "tmp").glob(f"{snap_id}-*.part")) if (root / "tmp").is_dir() else []
            return any(p.stat().st_size > 0 for p in parts if p.exists())

        wait_for(writing, timeout=90, what="the worker to start writing the snapshot", interval=0.02)
        first.kill()

        snap = Snapshot.objects.get(pk=snap_id)
        assert snap.status == SnapshotStatus.BUILDING, "the build finished before the kill: raise ITEMS"
        assert (snap.sha256, snap.file_name) == ("", "")
        assert _visible_files(root) == []  # only the .part under tmp/, never a named file
        client = world.client("ml")
        assert client.get(f"/api/v1/export/snapshots/{snap_id}").json()["download_url"] is None
        assert client.get(f"/api/v1/export/snapshots/{snap_id}/download").status_code != 200

        # A new worker comes up: its start-up recovery finds the build without a live builder
        # (the dead worker's run lock went with its database session) and builds it again.
        second = start_worker(env, tmp_path / "worker-2.log", queues=["default"]).wait_ready()
        snap = wait_for(
            lambda: Snapshot.objects.filter(pk=snap_id, status__in=["ready", "failed"]).first(),
            timeout=120, what="the interrupted snapshot to be rebuilt",
        )
        assert snap.status == SnapshotStatus.READY, snap.error
        assert snap.row_count == ITEMS
        data = (root / snap.file_name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == snap.sha256 and data.count(b"\n") == ITEMS
        assert not list((root / "tmp").glob(f"{snap_id}-*")), "the killed build's .part and work folder remain"
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()

    # The same request built cleanly, here, lands on the same bytes.
    clean = run_build(snapshot_create(actor=actor_for(world.users["ml"]), project=project, enqueue=False).pk)
    assert clean.status == SnapshotStatus.READY and clean.sha256 == snap.sha256
    assert [p.relative_to(root) for p in _visible_files(root)] == [Path(snap.file_name)]
