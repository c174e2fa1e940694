"""The load bench: `python -m bench load` runs mixed traffic (annotators, reviewers, imports, exports,
dashboards) against a real server, worker, PostgreSQL and Redis, and reconciles what the server
acknowledged with what the database holds; and the reconciliation itself notices a lost write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotation.models import Annotation
from bench.load import Annotator, Exporter, Importer, Reviewer, reconcile
from tests.annotation.queue_support import claim, make_items, submit
from tests.conftest import ROOT, make_project
from tests.review.support import open_case

ENDPOINTS = {
    "annotation.claim", "annotation.submit", "review.claim", "review.decide", "import.create", "import.poll",
    "export.create", "export.poll", "export.download", "dashboard", "dashboard.annotators",
}


@pytest.mark.slow
def test_five_seconds_of_mixed_load_lose_nothing_and_error_nowhere(transactional_db, tmp_path: Path) -> None:
    from django.db import connection

    settings = connection.settings_dict
    load_db = f"{settings['NAME']}_load"  # the bench's own database, emptied by every run
    env = dict(
        os.environ,
        BENCH_LOAD_DATABASE_URL=f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{load_db}",
        BENCH_LOAD_WORKER_LOG=str(tmp_path / "worker.log"),
        BENCH_QUEUE_WORKERS="1",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "load", "--seconds", "5", "--items", "2000", "--cases", "500",
         "--annotators", "6", "--reviewers", "3", "--drain", "60"],
        check=False, cwd=ROOT, env=env, capture_output=True, timeout=280,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    result = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert result["errors"] == 0, result["first_errors"]
    assert result["lost"] == 0, result["lost_by_kind"]
    assert result["throttled"] == 0 and not any(result["mismatches"].values()), result["mismatches"]
    # Every kind of traffic ran and was reconciled: a bench that did nothing would pass the above.
    assert set(result["p99_ms"]) >= ENDPOINTS, sorted(result["p99_ms"])
    acknowledged = result["acknowledged"]
    for kind in ("annotations", "decisions", "import_jobs", "imported_items", "snapshots", "snapshots_downloaded"):
        assert acknowledged[kind] > 0, kind
    assert result["requests"] == sum(result["counts"].values()) > 0


def test_the_reconciliation_counts_acknowledged_writes_the_database_lacks(world) -> None:
    project = make_project(world, vendors=[world.offshore], overlap=1)
    make_items(project, 3)
    annotator = world.users["off_annotator"]
    kept = []
    for _ in range(2):
        lease = claim(annotator, project)
        assert lease is not None
        kept.append(submit(annotator, lease).annotation.pk)
    case = open_case(world, project)
    state: dict[str, object] = {}
    ann = Annotator("a", 1, "t", state, 0, project=project.pk, think_ms=0)
    ann.acked = [*kept, 10**9]  # one acknowledged annotation the database does not have
    rev = Reviewer("r", 1, "t", state, 1, think_ms=0)
    rev.acked = [10**9]
    imp = Importer("i", 1, "t", state, 2, project=project.pk, tag="x")
    imp.jobs = {10**9: ["never-imported"]}
    exp = Exporter("e", 1, "t", state, 3, project=project.pk)
    exp.acked = [10**9]
    checks = reconcile({"org": world.org.pk, "project": project.pk, "overlap": 1}, [ann, rev, imp, exp])
    assert checks["lost_by_kind"] == {"annotations": 1, "decisions": 1, "import_jobs": 1, "imported_items": 1,
                                      "snapshots": 1}
    assert checks["lost"] == 5
    assert not any(checks["mismatches"].values()), checks["mismatches"]
    # An annotation the server never acknowledged, and a count that does not add up, are found too.
    ann.acked = kept[:1]
    moved = Annotation.objects.filter(pk=kept[0])
    moved.update(item_id=Annotation.objects.get(pk=kept[1]).item_id, annotator=world.users["off_annotator2"])
    mismatches = reconcile({"org": world.org.pk, "project": project.pk, "overlap": 1}, [ann, rev, imp, exp])[
        "mismatches"]
    assert mismatches["annotations_unacknowledged"] == 1
    assert mismatches["item_annotation_count"] == 2 and mismatches["over_overlap"] == 1
    assert mismatches["decisions_unacknowledged"] == 0 and case.decisions.count() == 0
