"""The queue bench end to end: `python -m bench queue` loads items, serves them over HTTP from a
real server and checks the database afterwards (no item over-assigned, no acknowledged submit
lost), re-analyzing the tables it grows as autovacuum would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_a_short_queue_bench_run_reports_clean_figures(transactional_db) -> None:
    from django.db import connection

    settings = connection.settings_dict
    env = dict(
        os.environ,
        BENCH_DATABASE_URL=f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}_queue",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "queue", "--items", "3000", "--annotators", "4", "--seconds", "4",
         "--overlap", "2", "--workers", "1"],
        check=False, cwd=ROOT, env=env, capture_output=True, timeout=280,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    result = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert set(result) >= {"items", "annotators", "claims", "claims_per_s", "p50_ms", "p99_ms",
                           "double_assignments", "lost"}
    assert result["errors"] == 0, result["first_errors"]
    assert result["claims"] > 50 and result["claims_per_s"] > 0
    assert (result["double_assignments"], result["lost"], result["count_mismatches"]) == (0, 0, 0)
    assert result["autoanalyze_runs"] > 0  # the lease and annotation tables grew past autovacuum's rule
