"""The review queue's writes: claim the next case, heartbeat, release; breaks. Keyword-only.

A reviewer holds at most one case. Claiming while holding a live case returns that case; a lease
that ran out is retired first (its case stays claimable by anyone until someone takes it over,
and its old holder may still decide it until then).

Breaks: each severe case served (severity ≥ the organization's ``severe_severity``) adds one to
the reviewer's streak; a pause as long as the break resets it. When the streak reaches
``break_after``, the next claim starts a break of ``break_minutes`` instead and is refused with
``break_required`` and ``break_until``; claims keep being refused until then (also inside the
claim statement, so no race gets past it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from workforce.access import AccessDenied, Actor

from ..events import publish_case_event
from ..models import Case, CaseLease, LeaseState, ReviewerWellness, ReviewSettings, WellnessBreak
from ..selectors import cases_visible, lease_current, reviewer_tier, routed_project_ids
from ..state import IN_REVIEW, OPEN
from .claim import ClaimRequest, claim_once
from .errors import BreakRequired, LeaseExpired, NotHeld
from .lifecycle import record, transition
from .policy import policy_default, review_settings_get


@dataclass(frozen=True)
class ClaimCheck:
    tier: int
    settings: ReviewSettings


def check_claim(*, actor: Actor, now: datetime) -> ClaimCheck:
    """Who may claim, at which tier, and whether a break stands in the way. Starts a break when
    one is due (committed on its own: the refusal must not roll it back)."""
    tier = reviewer_tier(actor)
    if tier == 0:
        raise AccessDenied("Only reviewers claim cases.")
    settings = review_settings_get(organization_id=actor.organization_id)
    wellness = ReviewerWellness.objects.filter(reviewer_id=actor.user.pk).first()
    if wellness is not None:
        if wellness.break_until is not None and wellness.break_until > now:
            raise BreakRequired(wellness.break_until)
        if settings.break_after and wellness.severe_streak >= settings.break_after and not _rested(
            wellness, settings, now
        ):
            raise BreakRequired(wellness_break_start(actor=actor, settings=settings, now=now))
    return ClaimCheck(tier=tier, settings=settings)


def _rested(wellness: ReviewerWellness, settings: ReviewSettings, now: datetime) -> bool:
    """A pause as long as a break, since the last severe case, counts as the break."""
    last = wellness.last_severe_at
    return last is not None and now - last >= timedelta(minutes=settings.break_minutes)


@transaction.atomic
def wellness_break_start(*, actor: Actor, settings: ReviewSettings, now: datetime) -> datetime:
    wellness = ReviewerWellness.objects.select_for_update().get(reviewer_id=actor.user.pk)
    if wellness.break_until is not None and wellness.break_until > now:
        return wellness.break_until
    until = now + timedelta(minutes=settings.break_minutes)
    WellnessBreak.objects.create(
        reviewer_id=actor.user.pk, vendor_id=actor.vendor_id, organization_id=actor.organization_id,
        started_at=now, ends_at=until, after_items=wellness.severe_streak,
    )
    wellness.break_until, wellness.severe_streak = until, 0
    wellness.save(update_fields=["break_until", "severe_streak"])
    return until


def _count_severe(actor: Actor, settings: ReviewSettings, now: datetime) -> None:
    wellness, _ = ReviewerWellness.objects.select_for_update().get_or_create(reviewer_id=actor.user.pk)
    if _rested(wellness, settings, now):
        wellness.severe_streak = 0
    wellness.severe_streak += 1
    wellness.last_severe_at = now
    wellness.save(update_fields=["severe_streak", "last_severe_at"])


def _retire(lease: CaseLease, now: datetime) -> None:
    CaseLease.objects.filter(pk=lease.pk, state=LeaseState.ACTIVE).update(state=LeaseState.EXPIRED, ended_at=now)


def _held(lease: CaseLease, actor: Actor, now: datetime) -> bool:
    case = lease.case
    return case.state == IN_REVIEW and case.assignee_id == actor.user.pk and lease.expires_at > now


def case_claim(*, actor: Actor) -> CaseLease | None:
    """Lease the most urgent case the acting reviewer may take, or return the live one they hold.
    None when nothing is available to them. Raises BreakRequired during a break."""
    now = timezone.now()
    current = lease_current(actor)
    if current is not None:
        if _held(current, actor, now):
            return current
        _retire(current, now)
    check = check_claim(actor=actor, now=now)
    settings = check.settings
    policy_default(organization_id=actor.organization_id)  # an organization's first claim creates its policy
    req = ClaimRequest(
        organization_id=actor.organization_id, user_id=actor.user.pk, vendor_id=actor.vendor_id, tier=check.tier,
        projects=None if actor.is_internal else tuple(routed_project_ids(actor.vendor_id or 0)),
        caps={str(k): int(v) for k, v in (settings.exposure_caps or {}).items()},
        severe=settings.severe_severity, now=now, expires=now + timedelta(seconds=settings.lease_seconds),
        day=timezone.localdate(now),
    )
    try:
        with transaction.atomic():
            claimed = claim_once(req)
            if claimed is None:
                return None
            if claimed.from_state == IN_REVIEW:  # taken over: whoever held it (lease ran out) holds nothing
                CaseLease.objects.filter(case_id=claimed.case_id, state=LeaseState.ACTIVE).exclude(
                    pk=claimed.lease_id
                ).update(state=LeaseState.EXPIRED, ended_at=now)
            lease = (
                CaseLease.objects.select_related("case", "case__item", "case__project", "case__policy")
                .defer("case__item__text_sealed")
                .get(pk=claimed.lease_id)
            )
            case = lease.case
            kind = "taken_over" if claimed.from_state == IN_REVIEW else "claimed"
            record(case, kind, actor_id=actor.user.pk, now=now, from_state=claimed.from_state, to_state=IN_REVIEW,
                   previous_assignee=claimed.previous_assignee)
            if claimed.severity >= settings.severe_severity:
                _count_severe(actor, settings, now)
            publish_case_event(case, "claimed", by=actor.user.pk)
            return lease
    except IntegrityError:
        # A concurrent claim of this same reviewer won: serve theirs.
        return lease_current(actor)


def _lock_held(actor: Actor, case_id: int) -> tuple[Case, CaseLease]:
    case = (
        Case.objects.select_for_update(of=("self",)).select_related("item").defer("item__text_sealed")
        .filter(pk=case_id, organization_id=actor.organization_id).first()
    )
    if case is None:
        raise Case.DoesNotExist("No such case.")
    lease = (
        CaseLease.objects.select_for_update()
        .filter(case_id=case_id, reviewer_id=actor.user.pk, state=LeaseState.ACTIVE)
        .first()
    )
    if lease is None:
        raise not_held(actor, case_id, "You do not hold this case.")
    return case, lease


def not_held(actor: Actor, case_id: int, message: str) -> Exception:
    """What to raise when the actor holds no lease on the case: ``NotHeld`` (409) for a case they may
    see, and for another vendor's case the answer a missing case gets (404), so that its id is not
    disclosed."""
    if not cases_visible(actor).filter(pk=case_id).exists():
        return Case.DoesNotExist("No such case.")
    return NotHeld(message)


@transaction.atomic
def case_heartbeat(*, actor: Actor, case_id: int) -> CaseLease:
    """Extend the acting reviewer's lease. One that ran out revives while nobody took the case."""
    case, lease = _lock_held(actor, case_id)
    now = timezone.now()
    if case.state != IN_REVIEW or case.assignee_id != actor.user.pk:
        _retire(lease, now)
        raise LeaseExpired("Your time on this case ran out and it went to someone else.")
    settings = review_settings_get(organization_id=actor.organization_id)
    expires = now + timedelta(seconds=settings.lease_seconds)
    lease.expires_at = expires
    lease.save(update_fields=["expires_at"])
    Case.objects.filter(pk=case.pk).update(leased_until=expires, updated_at=now)
    lease.case = case
    case.leased_until = expires
    return lease


@transaction.atomic
def case_release(*, actor: Actor, case_id: int) -> Case:
    """Give the case back: it returns to the state it was claimed from, for anyone to take."""
    case, lease = _lock_held(actor, case_id)
    now = timezone.now()
    lease.state, lease.ended_at = LeaseState.RELEASED, now
    lease.save(update_fields=["state", "ended_at"])
    if case.state == IN_REVIEW and case.assignee_id == actor.user.pk:
        transition(case, case.queued_as or OPEN, kind="released", actor_id=actor.user.pk, now=now)
        case.assignee, case.leased_until, case.queued_as = None, None, ""
        case.save(update_fields=["state", "assignee", "leased_until", "queued_as", "updated_at"])
        publish_case_event(case, "released", by=actor.user.pk)
    return case

