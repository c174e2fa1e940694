"""The triage dry run: what a pair of routing thresholds would have done to a project's decided cases.

The past cases are those a person decided: a case the model auto-closed has only the model's own
answer, and counting it would grade the model against itself, so it stays out until a person
decides it (an appeal, or a QA re-review that reopened it). What the model's auto-closes have done
so far is reported beside, from the people who checked them: QA re-reviews and appeals.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from annotation import selectors as annotation_selectors
from review.models import FINAL_ACTIONS, Appeal, AppealState, Case, Decision, DecisionKind, QAReview
from workforce.access import AccessDenied, Actor, require_role
from workforce.models import Role

from .triage import routing_for
from .triage_rules import ACTIONED, PastCase, dry_run


def check_dry_run(*, actor: Actor, project_id: int) -> None:
    """Admins, internal reviewers and ML engineers of the project's organization; never vendors."""
    require_role(actor, Role.ADMIN, Role.REVIEWER, Role.ML_ENGINEER)
    if not actor.is_internal:
        raise AccessDenied("Triage reports are for internal staff.")
    annotation_selectors.project_get(actor, project_id)  # raises AccessDenied: not theirs


def past_cases(*, project_id: int) -> list[PastCase]:
    """Cases a person decided, with a stored triage score and their latest final action (QA
    re-reviews and the model's own auto-closes aside)."""
    rows = Case.objects.filter(
        project_id=project_id,
        triage_score__isnull=False,
        qa_of__isnull=True,
        auto_closed=False,
        final_action__in=[str(a) for a in FINAL_ACTIONS],
    ).values_list("triage_score", "final_action")
    return [PastCase(score=float(score), final_action=action) for score, action in rows if score is not None]


def model_decisions(*, project_id: int) -> dict[str, Any]:
    """What the model's auto-closes have done: how many, how many still stand unreviewed, and what
    the people who checked them found (QA re-reviews that actioned the content; appeals overturned)."""
    decisions = Decision.objects.filter(case__project_id=project_id, kind=DecisionKind.MODEL)
    qa = QAReview.objects.filter(original__in=decisions).aggregate(
        n=Count("id"), actioned=Count("id", filter=Q(qa_decision__action__in=ACTIONED))
    )
    appeals = Appeal.objects.filter(decision__in=decisions).aggregate(
        n=Count("id"),
        pending=Count("id", filter=Q(state=AppealState.PENDING)),
        overturned=Count("id", filter=Q(state=AppealState.OVERTURNED)),
    )
    return {
        "auto_closed": decisions.count(),
        "standing": Case.objects.filter(project_id=project_id, auto_closed=True).count(),
        "qa_reviewed": qa["n"],
        "qa_actioned": qa["actioned"],
        "qa_miss_rate": qa["actioned"] / qa["n"] if qa["n"] else None,
        "appealed": appeals["n"],
        "appeals_pending": appeals["pending"],
        "appeals_overturned": appeals["overturned"],
    }


def triage_dry_run(
    *, actor: Actor, project_id: int, auto_close_below: float | None, escalate_above: float | None
) -> dict[str, Any]:
    """The proposed thresholds' outcome beside the current ones' (``current_config.auto_close`` says
    whether the auto-close route is acted on or only recorded), and the model's auto-closes so far.
    Raises InvalidThresholds."""
    check_dry_run(actor=actor, project_id=project_id)
    cases = past_cases(project_id=project_id)
    current = routing_for(project_id=project_id)
    return {
        "project": project_id,
        "proposed": dry_run(cases, auto_close_below=auto_close_below, escalate_above=escalate_above).as_dict(),
        "current": dry_run(
            cases, auto_close_below=current.auto_close_below, escalate_above=current.escalate_above
        ).as_dict(),
        "current_config": {
            "auto_close_below": current.auto_close_below,
            "escalate_above": current.escalate_above,
            "auto_close": current.auto_close,
            "auto_close_qa_rate": current.auto_close_qa_rate,
        },
        "model_decisions": model_decisions(project_id=project_id),
    }
