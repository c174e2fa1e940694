"""The append-only audit log of access to raw content: write one entry, read and export them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from workforce.access import AccessDenied, Actor
from workforce.models import User

from .models import AuditEntry


def record(
    *,
    user: User | None,
    action: str,
    reason: str = "",
    item_ids: Sequence[int] = (),
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Call it in the same transaction as the access it records."""
    return AuditEntry.objects.create(
        actor=user,
        organization_id=getattr(user, "organization_id", None),
        action=action,
        reason=reason,
        item_ids=[int(i) for i in item_ids],
        detail=detail or {},
    )


def check_audit_reader(actor: Actor) -> None:
    if not (actor.is_internal and actor.is_admin):
        raise AccessDenied("Only admins may read the audit log.")


def entries_visible(
    actor: Actor,
    *,
    action: str | None = None,
    user_id: int | None = None,
    item_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    check_audit_reader(actor)
    qs = AuditEntry.objects.filter(organization_id=actor.organization_id).select_related("actor")
    if action:
        qs = qs.filter(action=action)
    if user_id:
        qs = qs.filter(actor_id=user_id)
    if item_id:
        if _json_contains():
            qs = qs.filter(item_ids__contains=[item_id])
        else:  # SQLite has no JSON containment: match the id as a whole number in the stored list
            qs = qs.filter(item_ids__regex=rf"[\[ ,]{int(item_id)}[,\]]")
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-id")


def _json_contains() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


EXPORT_COLUMNS = ("id", "at", "actor", "action", "reason", "item_ids", "detail")


def _cell(value: str) -> str:
    # A spreadsheet runs cells starting with these as formulas: the log is shown, never executed.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    """CSV lines, formula-safe, streamed."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    yield buf.getvalue()
    for e in entries.iterator(chunk_size=2000):
        buf.seek(0)
        buf.truncate()
        writer.writerow(
            [
                e.pk,
                e.at.isoformat(),
                _cell(e.actor.username if e.actor else ""),
                e.action,
                _cell(e.reason),
                " ".join(str(i) for i in e.item_ids),
                _cell(str(e.detail) if e.detail else ""),
            ]
        )
        yield buf.getvalue()
