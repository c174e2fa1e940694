"""Review's domain errors. Each carries a ``code`` clients can act on and a message safe to show."""

from __future__ import annotations

from datetime import datetime

from ..state import IllegalTransition


class ReviewError(Exception):
    code = "conflict"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BreakRequired(ReviewError):
    """The reviewer reached the severe-case limit and must rest until ``break_until``."""

    code = "break_required"

    def __init__(self, break_until: datetime) -> None:
        super().__init__(
            f"Time for a break: you have reviewed many severe cases in a row. New cases resume at "
            f"{break_until:%H:%M} UTC."
        )
        self.break_until = break_until


class NotHeld(ReviewError):
    """The case is not (any longer) held by the acting reviewer."""

    code = "not_held"


class LeaseExpired(ReviewError):
    code = "lease_expired"


class EscalationRefused(ReviewError):
    code = "escalation_refused"


class AppealRefused(ReviewError):
    code = "appeal_refused"


class InvalidDecision(ReviewError):
    """The decision's fields do not fit the action or the policy version (a 400, with the field)."""

    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


__all__ = [
    "AppealRefused", "BreakRequired", "EscalationRefused", "IllegalTransition", "InvalidDecision",
    "LeaseExpired", "NotHeld", "ReviewError",
]
