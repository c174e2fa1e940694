"""SLA compliance: review decisions are folded into the SLA rollup past a watermark, once."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from quality import selectors
from quality.models import SlaDay
from quality.sla import sla_fold
from review.models import Decision
from review.services.cases import case_decide
from tests.review.support import actor, claim, open_case, set_due
from workforce.access import actor_for

from .support import project_with


def test_decisions_fold_into_sla_compliance_once(world):
    project = project_with(world)
    late = set_due(open_case(world, project, severity=2), timezone.now() - timedelta(minutes=5))
    on_time = open_case(world, project, severity=2)
    for _case in (late, on_time):
        lease = claim(world, "off_reviewer")
        case_decide(actor=actor(world, "off_reviewer"), case_id=lease.case_id, action="allow")
    decisions = list(Decision.objects.filter(vendor=world.offshore).values_list("within_sla", flat=True))
    assert sorted(decisions) == [False, True]
    assert sla_fold() == 2
    assert sla_fold() == 0  # the watermark moved: nothing is counted twice
    row = SlaDay.objects.get(vendor_key=world.offshore.pk)
    assert (row.decided, row.within_sla, row.organization_id) == (2, 1, world.org.pk)
    body = selectors.dashboard(
        actor_for(world.users["off_manager"]), start=timezone.localdate(), end=timezone.localdate()
    )
    assert body["series"][-1]["sla_compliance"] == 0.5
    # Another organization's admin sees none of it.
    other = selectors.dashboard(actor_for(world.stranger), start=timezone.localdate(), end=timezone.localdate())
    assert other["series"][-1]["sla_compliance"] is None
