"""Billing statements reconcile with the submitted work to the cent; approval locks them; exports."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from annotation.models import Annotation
from quality.billing import (
    StatementLocked,
    statement_approve,
    statement_create,
    statement_csv,
    statement_delete,
    statement_pdf,
)
from quality.models import StatementStatus, SubmissionRecord
from quality.services import annotation_reject
from workforce.access import AccessDenied, actor_for

from .support import LABELS, claim, make_annotators, make_items, project_with, submit

CENT = Decimal("0.01")


def _work(world, django_capture_on_commit_callbacks, n_projects=2):
    rng = random.Random(23)
    projects = [project_with(world, name=f"P{i}", overlap=2) for i in range(n_projects)]
    people = make_annotators(world, 3, vendor=world.offshore)
    for p in projects:
        make_items(p, 25)
    with django_capture_on_commit_callbacks(execute=True):
        for p in projects:
            for _ in range(20):
                for user in people:
                    lease = claim(user, p)
                    if lease is not None:
                        submit(user, lease, rng.choice(LABELS), time_spent_ms=rng.randint(1, 200_000))
    admin = actor_for(world.users["admin"])
    rejected = list(Annotation.objects.filter(vendor=world.offshore).order_by("?")[:7].values_list("pk", flat=True))
    for pk in rejected:
        annotation_reject(actor=admin, annotation_id=pk)
    return projects, set(rejected)


def _expected(world, projects, rejected, basis):
    """Recomputed from the annotation table alone, line by line."""
    vendor = world.offshore
    out = {}
    for p in projects:
        rows = list(Annotation.objects.filter(item__project=p, vendor=vendor).values_list("pk", "time_spent_ms"))
        if basis == "task":
            billed = len([pk for pk, _ in rows if pk not in rejected])
            out[p.pk] = (Decimal(billed) * vendor.rate_per_task).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            ms = sum(t for pk, t in rows if pk not in rejected)
            out[p.pk] = (Decimal(ms) * vendor.rate_per_hour / Decimal(3_600_000)).quantize(CENT, rounding=ROUND_HALF_UP)
    return out


@pytest.mark.parametrize("basis", ["task", "hour"])
def test_statement_reconciles_with_submitted_work_to_the_cent(world, django_capture_on_commit_callbacks, basis):
    projects, rejected = _work(world, django_capture_on_commit_callbacks)
    today = timezone.localdate()
    admin = actor_for(world.users["admin"])
    s = statement_create(
        actor=admin, vendor_id=world.offshore.pk, period_start=today - timedelta(days=6), period_end=today, basis=basis
    )
    expected = _expected(world, projects, rejected, basis)
    lines = {line.project_id: line for line in s.lines.all()}
    assert {pk: line.amount for pk, line in lines.items()} == expected
    assert s.total == sum(expected.values())
    assert s.submitted == Annotation.objects.filter(vendor=world.offshore).count()
    assert s.rejected == len(rejected) == SubmissionRecord.objects.filter(rejected=True).count()
    # The CSV says the same, line by line and in total.
    rows = list(csv.DictReader(io.StringIO(statement_csv(s))))
    assert [Decimal(r["amount"]) for r in rows[:-1]] == [expected[p.pk] for p in projects]
    assert rows[-1]["project"] == "TOTAL" and Decimal(rows[-1]["amount"]) == s.total
    # A period without work bills nothing; another vendor's statement has no offshore work.
    empty = statement_create(
        actor=admin,
        vendor_id=world.offshore.pk,
        period_start=today - timedelta(days=30),
        period_end=today - timedelta(days=20),
    )
    assert empty.total == 0 and not empty.lines.exists()
    other = statement_create(actor=admin, vendor_id=world.onshore.pk, period_start=today, period_end=today)
    assert other.total == 0


def test_approval_locks_the_statement(world, django_capture_on_commit_callbacks):
    _work(world, django_capture_on_commit_callbacks, n_projects=1)
    today = timezone.localdate()
    admin = actor_for(world.users["admin"])
    s = statement_create(actor=admin, vendor_id=world.offshore.pk, period_start=today, period_end=today)
    total = s.total
    with pytest.raises(AccessDenied):
        statement_approve(actor=actor_for(world.users["off_manager"]), statement_id=s.pk)
    statement_approve(actor=admin, statement_id=s.pk)
    s.refresh_from_db()
    assert s.status == StatementStatus.APPROVED and s.approved_at is not None
    with pytest.raises(StatementLocked):
        statement_approve(actor=admin, statement_id=s.pk)
    with pytest.raises(StatementLocked):
        statement_delete(actor=admin, statement_id=s.pk)
    with pytest.raises(StatementLocked):  # no second bill for the same days
        statement_create(
            actor=admin, vendor_id=world.offshore.pk, period_start=today - timedelta(days=3), period_end=today
        )
    # Work rejected after approval does not change the approved statement.
    pk = SubmissionRecord.objects.filter(rejected=False).values_list("pk", flat=True).first()
    annotation_reject(actor=admin, annotation_id=pk)
    s.refresh_from_db()
    assert s.total == total


def test_pdf_export(world, django_capture_on_commit_callbacks):
    pytest.importorskip("fpdf")
    _work(world, django_capture_on_commit_callbacks, n_projects=1)
    today = timezone.localdate()
    s = statement_create(
        actor=actor_for(world.users["admin"]), vendor_id=world.offshore.pk, period_start=today, period_end=today
    )
    pdf = statement_pdf(s)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 800
