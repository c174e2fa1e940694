"""The triage dry run: what a pair of routing thresholds would have done to a project's decided cases."""

from __future__ import annotations

from typing import Any

from annotation import selectors as annotation_selectors
from review.models import FINAL_ACTIONS, Case
from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role

from .triage import routing_for
from .triage_rules import PastCase, dry_run


def check_dry_run(*, actor: Actor, project_id: int) -> None:
    """Admins, internal reviewers and ML engineers of the project's organization; never vendors."""
    require_role(actor, Role.ADMIN, Role.REVIEWER, Role.ML_ENGINEER)
    if not actor.is_internal:
        raise AccessDenied("Triage reports are for internal staff.")
    annotation_selectors.project_get(actor, project_id)  # raises AccessDenied: not theirs


def past_cases(*, project_id: int) -> list[PastCase]:
    """Decided cases with a stored triage score and their latest final action (QA re-reviews aside)."""
    rows = Case.objects.filter(
        project_id=project_id,
        triage_score__isnull=False,
        qa_of__isnull=True,
        final_action__in=[str(a) for a in FINAL_ACTIONS],
    ).values_list("triage_score", "final_action")
    return [PastCase(score=float(score), final_action=action) for score, action in rows if score is not None]


def triage_dry_run(
    *, actor: Actor, project_id: int, auto_close_below: float | None, escalate_above: float | None
) -> dict[str, Any]:
    """The proposed thresholds' outcome beside the current ones'. Raises InvalidThresholds."""
    check_dry_run(actor=actor, project_id=project_id)
    cases = past_cases(project_id=project_id)
    current = routing_for(project_id=project_id)
    return {
        "project": project_id,
        "proposed": dry_run(cases, auto_close_below=auto_close_below, escalate_above=escalate_above).as_dict(),
        "current": dry_run(
            cases, auto_close_below=current.auto_close_below, escalate_above=current.escalate_above
        ).as_dict(),
    }
