"""Realtime events for the review console, sent over Channels only after the writing transaction
commits (``transaction.on_commit``), and only from services.

Groups: ``review.org.<id>`` for the organization's internal staff; ``review.org.<id>.vendor.<id>``
for each vendor, both after ``REVIEW_GROUP_PREFIX`` (deployments sharing one Redis stay apart). A
vendor group hears about a case only while the case is L1 in a project routed to that vendor and
not internal-only or pinned elsewhere (the same rule as ``selectors.case_scope``); when a case
leaves their view (escalated), they get ``case.removed`` with its id alone. Events carry ids,
states, severities and times, never content.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from annotation.models import ProjectVendor

from .conf import review_setting
from .models import Case, Tier

log = logging.getLogger(__name__)


def _prefix() -> str:
    raw = str(review_setting("REVIEW_GROUP_PREFIX"))
    return re.sub(r"[^A-Za-z0-9_.-]", ".", raw).strip(".")[:40] + "." if raw else ""


def org_group(organization_id: int) -> str:
    return f"{_prefix()}review.org.{organization_id}"


def vendor_group(organization_id: int, vendor_id: int) -> str:
    return f"{org_group(organization_id)}.vendor.{vendor_id}"


def case_payload(case: Case) -> dict[str, Any]:
    return {
        "case": case.pk,
        "state": case.state,
        "severity": case.severity,
        "category": case.category,
        "tier": case.tier,
        "source": case.source,
        "due_at": case.due_at.isoformat(),
        "assignee": case.assignee_id,
        "leased_until": case.leased_until.isoformat() if case.leased_until else None,
    }


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "review.event", "event": event})
    except Exception:  # a dropped realtime event must never fail the write that caused it
        log.warning("could not publish %s to %s", event.get("type"), group, exc_info=True)


def _vendor_view(case: Case) -> tuple[list[int], list[int]]:
    """(vendors that may see the case, vendors routed to its project that may not)."""
    routed = list(
        ProjectVendor.objects.filter(project_id=case.project_id, active=True).values_list("vendor_id", flat=True)
    )
    item = case.item
    if case.tier != Tier.L1 or item.internal_only:
        return [], routed
    pinned = item.pinned_vendor_id
    seeing = [v for v in routed if pinned is None or v == pinned]
    return seeing, [v for v in routed if v not in seeing]


def publish_case_event(case: Case, kind: str, **extra: Any) -> None:
    """Send ``case.<kind>`` about the case to everyone allowed to hear it, after commit."""
    event = {"type": f"case.{kind}", **case_payload(case), **extra}
    seeing, blind = _vendor_view(case)
    org = case.organization_id
    messages = [(org_group(org), event)]
    messages += [(vendor_group(org, v), event) for v in seeing]
    messages += [(vendor_group(org, v), {"type": "case.removed", "case": case.pk}) for v in blind]

    def send() -> None:
        for group, message in messages:
            _send(group, message)

    transaction.on_commit(send)
