"""The ML page in real Chromium: snapshots, a job's progress and loss curve, promotion to a project.
Screenshots: ``var/e2e-screenshots/ml_page/``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from inference.models import ModelKind, ModelStatus, ModelVersion, ProjectModel
from tests.annotation.queue_support import claim, submit
from tests.conftest import PASSWORD, make_project, make_world
from tests.e2e.test_workspace import Shots, allow_server_login, browser_page, in_thread, server, sign_in
from tests.privacy_integration.support import import_records
from training_export.build import run_build
from training_export.models import FineTuneJob
from training_export.services import snapshot_create
from workforce.access import actor_for

__all__ = ["server"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_only_internal_ml_engineers_and_admins_get_the_page():
    make_world()
    for username, expected in (("ml", 200), ("admin", 200), ("reviewer", 403), ("off_manager", 403),
                               ("off_annotator", 403)):
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        assert client.get("/ml/").status_code == expected, username


@pytest.mark.e2e
@pytest.mark.slow
def test_ml_page_shows_jobs_and_promotes_a_version(server: str, settings: Any, tmp_path: Any) -> None:
    settings.QUORUM = {**settings.QUORUM, "SNAPSHOT_DIR": tmp_path / "snapshots"}
    world = make_world()
    project = make_project(world, vendors=[world.offshore], name="Reviews")
    import_records(world, project, [{"id": f"r{i}", "text": f"review {i}"} for i in range(3)])
    while (lease := claim(world.users["off_annotator"], project)) is not None:
        submit(world.users["off_annotator"], lease, "billing")
    snap = run_build(snapshot_create(actor=actor_for(world.users["ml"]), project=project, enqueue=False).pk)
    base = ModelVersion.objects.create(name="base-q4", kind=ModelKind.BASE, gguf_path="x", quantization="Q4_0",
                                       sha256="0" * 64, status=ModelStatus.ACTIVE)
    tuned = ModelVersion.objects.create(
        name="reviews-ft-1", kind=ModelKind.FINE_TUNED, parent=base, gguf_path="y", quantization="Q4_0",
        sha256="1" * 64, metrics={"test": {"accuracy": 0.81, "macro_f1": 0.8, "ece": 0.04},
                                  "delta": {"accuracy": 0.27}},
    )
    FineTuneJob.objects.create(
        organization=world.org, name="reviews-ft-1", snapshot=snap, project=project, labels=["billing"],
        status="running", step=30, total_steps=63, loss=0.41, eta_seconds=120,
        loss_history=[[5, 1.08], [10, 0.9], [20, 0.6], [30, 0.41]],
    )
    allow_server_login(world.users["ml"])
    shots = Shots("ml_page")
    with browser_page(shots) as page:
        sign_in(page, server, "ml")
        page.goto(f"{server}/ml/")
        page.wait_for_selector("#jobs tr[data-job]")
        assert page.get_attribute("#jobs progress", "value") == "30"
        assert page.locator("#jobs svg.loss polyline").count() == 1
        assert f"#{snap.pk}" in page.inner_text("#job-snapshot")
        shots.take(page, "jobs")
        row = page.locator("#versions tr", has_text="reviews-ft-1")
        assert "81.0%" in row.inner_text() and "27.0 pts" in row.inner_text()
        row.locator("button", has_text="Promote").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#versions button')].some(b => b.textContent === 'Promoted')"
        )
        shots.take(page, "promoted")

    def check() -> None:
        config = ProjectModel.objects.get(project=project)
        assert config.model_version_id == tuned.pk, f"screenshots: {shots.dir}"

    in_thread(check)
