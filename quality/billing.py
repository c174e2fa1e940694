"""Vendor billing: a statement per vendor and period from the daily rollups, exported as CSV and PDF,
locked once approved.

A line per project: per task, (submitted - rejected) x ``rate_per_task``; per hour, (tracked
handling time - rejected handling time) x ``rate_per_hour``. Amounts are ``Decimal`` and rounded to
the cent half-up once per line; the total is the sum of the lines, so the printed lines always add
up to the printed total. Gold answers are work done and are billed like any other task.
An approved statement never changes: work rejected later does not alter it.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from annotation.models import Project
from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role, Vendor

from .models import BillingBasis, Statement, StatementLine, StatementStatus, VendorDay

CENT = Decimal("0.01")
MS_PER_HOUR = Decimal(3_600_000)


class StatementLocked(Exception):
    """The statement was approved and can no longer change."""


def line_amount(
    *, basis: str, rate: Decimal, submitted: int, rejected: int, handling_ms: int, rejected_ms: int
) -> tuple[Decimal, Decimal]:
    """(quantity billed, amount in cents) of one line."""
    if basis == BillingBasis.TASK:
        quantity = Decimal(submitted - rejected)
        return quantity, (quantity * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    billed_ms = Decimal(handling_ms - rejected_ms)
    hours = (billed_ms / MS_PER_HOUR).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return hours, (billed_ms * rate / MS_PER_HOUR).quantize(CENT, rounding=ROUND_HALF_UP)


def default_basis(vendor: Vendor) -> str:
    return BillingBasis.TASK if vendor.rate_per_task > 0 else BillingBasis.HOUR


def statements_visible(actor: Actor) -> QuerySet[Statement]:
    """Admins: every statement of the organization; vendor managers: their vendor's; nobody else."""
    qs = Statement.objects.filter(organization_id=actor.organization_id).select_related("vendor")
    if actor.is_admin:
        return qs.order_by("-period_start", "-id")
    if actor.role == Role.VENDOR_MANAGER and actor.vendor_id:
        return qs.filter(vendor_id=actor.vendor_id).order_by("-period_start", "-id")
    raise AccessDenied("Your role may not see billing.")


@transaction.atomic
def statement_create(
    *, actor: Actor, vendor_id: int, period_start: date, period_end: date, basis: str | None = None
) -> Statement:
    """A draft statement of the vendor's work in [period_start, period_end] (days, inclusive)."""
    require_role(actor, Role.ADMIN)
    vendor = Vendor.objects.filter(pk=vendor_id, organization_id=actor.organization_id).first()
    if vendor is None:
        raise AccessDenied("No such vendor.")
    if period_end < period_start:
        raise ValueError("The period ends before it starts.")
    basis = basis or default_basis(vendor)
    if basis not in BillingBasis.values:
        raise ValueError(f"basis must be one of {', '.join(BillingBasis.values)}")
    if Statement.objects.filter(
        vendor_id=vendor.pk,
        status=StatementStatus.APPROVED,
        period_start__lte=period_end,
        period_end__gte=period_start,
    ).exists():
        raise StatementLocked("An approved statement already covers part of this period.")
    rate = vendor.rate_per_task if basis == BillingBasis.TASK else vendor.rate_per_hour
    statement = Statement.objects.create(
        organization_id=actor.organization_id,
        vendor=vendor,
        period_start=period_start,
        period_end=period_end,
        basis=basis,
        rate=rate,
        currency=vendor.currency,
        created_by=actor.user,
    )
    rows = (
        VendorDay.objects.filter(
            vendor_key=vendor.pk,
            day__gte=period_start,
            day__lte=period_end,
            project__organization_id=actor.organization_id,
        )
        .values("project_id")
        .annotate(
            submitted=Sum("submitted"),
            rejected=Sum("rejected"),
            handling_ms=Sum("handling_ms"),
            rejected_ms=Sum("rejected_ms"),
        )
        .order_by("project_id")
    )
    names = dict(Project.objects.filter(organization_id=actor.organization_id).values_list("pk", "name"))
    lines = []
    for row in rows:
        quantity, amount = line_amount(
            basis=basis,
            rate=Decimal(rate),
            submitted=int(row["submitted"]),
            rejected=int(row["rejected"]),
            handling_ms=int(row["handling_ms"]),
            rejected_ms=int(row["rejected_ms"]),
        )
        lines.append(
            StatementLine(
                statement=statement,
                project_id=row["project_id"],
                project_name=names.get(row["project_id"], ""),
                submitted=row["submitted"],
                rejected=row["rejected"],
                handling_ms=row["handling_ms"],
                rejected_ms=row["rejected_ms"],
                quantity=quantity,
                amount=amount,
            )
        )
    StatementLine.objects.bulk_create(lines)
    statement.submitted = sum(line.submitted for line in lines)
    statement.rejected = sum(line.rejected for line in lines)
    statement.total = sum((line.amount for line in lines), Decimal("0.00"))
    statement.save(update_fields=["submitted", "rejected", "total"])
    return statement


@transaction.atomic
def statement_approve(*, actor: Actor, statement_id: int) -> Statement:
    require_role(actor, Role.ADMIN)
    statement = statements_visible(actor).select_for_update(of=("self",)).filter(pk=statement_id).first()
    if statement is None:
        raise AccessDenied("No such statement.")
    if statement.status == StatementStatus.APPROVED:
        raise StatementLocked("This statement is already approved.")
    if Statement.objects.filter(
        ~Q(pk=statement.pk),
        vendor_id=statement.vendor_id,
        status=StatementStatus.APPROVED,
        period_start__lte=statement.period_end,
        period_end__gte=statement.period_start,
    ).exists():
        raise StatementLocked("An approved statement already covers part of this period.")
    statement.status, statement.approved_by, statement.approved_at = (
        StatementStatus.APPROVED,
        actor.user,
        timezone.now(),
    )
    statement.save(update_fields=["status", "approved_by", "approved_at"])
    return statement


@transaction.atomic
def statement_delete(*, actor: Actor, statement_id: int) -> None:
    """Drafts may be thrown away; approved statements are locked."""
    require_role(actor, Role.ADMIN)
    statement = statements_visible(actor).select_for_update(of=("self",)).filter(pk=statement_id).first()
    if statement is None:
        raise AccessDenied("No such statement.")
    if statement.status == StatementStatus.APPROVED:
        raise StatementLocked("An approved statement is locked.")
    statement.delete()


CSV_HEADER = [
    "vendor",
    "period_start",
    "period_end",
    "project",
    "submitted",
    "rejected",
    "billed_quantity",
    "unit",
    "rate",
    "currency",
    "amount",
]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A name a spreadsheet would run as a formula (``=HYPERLINK(...)``) gets a leading quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def statement_csv(statement: Statement) -> str:
    """The statement's lines and total as CSV; names (vendor, project) are formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    unit = "task" if statement.basis == BillingBasis.TASK else "hour"
    for line in statement.lines.order_by("project_id"):
        writer.writerow(
            [
                _cell(statement.vendor.name),
                statement.period_start.isoformat(),
                statement.period_end.isoformat(),
                _cell(line.project_name),
                line.submitted,
                line.rejected,
                line.quantity,
                unit,
                statement.rate,
                statement.currency,
                line.amount,
            ]
        )
    writer.writerow(
        [
            _cell(statement.vendor.name),
            statement.period_start.isoformat(),
            statement.period_end.isoformat(),
            "TOTAL",
            statement.submitted,
            statement.rejected,
            "",
            unit,
            statement.rate,
            statement.currency,
            statement.total,
        ]
    )
    return out.getvalue()


def statement_pdf(statement: Statement) -> bytes:
    """The statement as a one-table PDF (fpdf2, imported here: only this export needs it)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, f"Statement #{statement.pk}: {statement.vendor.name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    basis = "per task" if statement.basis == BillingBasis.TASK else "per tracked hour"
    pdf.cell(
        0,
        6,
        f"Period {statement.period_start} to {statement.period_end}, billed {basis} at "
        f"{statement.rate} {statement.currency}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    status = statement.status.upper() + (f" {statement.approved_at:%Y-%m-%d}" if statement.approved_at else "")
    pdf.cell(0, 6, f"Status: {status}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (70, 25, 25, 30, 35)
    pdf.set_font("Helvetica", "B", 10)
    for w, title in zip(widths, ("Project", "Submitted", "Rejected", "Billed", "Amount"), strict=True):
        pdf.cell(w, 7, title, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in statement.lines.order_by("project_id"):
        cells = (
            line.project_name[:40],
            str(line.submitted),
            str(line.rejected),
            str(line.quantity),
            f"{line.amount} {statement.currency}",
        )
        for w, text in zip(widths, cells, strict=True):
            pdf.cell(w, 7, text.encode("latin-1", "replace").decode("latin-1"), border=1)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(sum(widths[:4]), 7, "Total", border=1)
    pdf.cell(widths[4], 7, f"{statement.total} {statement.currency}", border=1)
    return bytes(pdf.output())
