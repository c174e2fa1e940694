"""The case state machine: the only transitions a case may take, checked in one place.

Plain Python, no Django import; ``review.models.CaseState`` holds the same values. Every write that
changes ``Case.state`` calls ``check_transition`` first (``review.services.cases.transition``).

    open ──claim──► in_review ──decide──► decided ──appeal──► appealed ──claim──► in_review …
      │ │              │  ▲                   ▲                  │
      │ │              │  └──────────────claim─┼──────────────────┤
      │ └─────────────auto-close (model)───────┘                  │
      └──escalate──► escalated ◄──escalate / SLA breach───────────┘

``in_review`` goes back to the state it was claimed from when its reviewer releases it. A lease
that runs out changes no state: the case stays ``in_review`` and the next claim may take it over.
``open → decided`` is the triage model's auto-close only (``review.services.auto_close``): people
decide cases they hold, so their decisions always come from ``in_review``.
"""

from __future__ import annotations

OPEN = "open"
IN_REVIEW = "in_review"
ESCALATED = "escalated"
DECIDED = "decided"
APPEALED = "appealed"

STATES = (OPEN, IN_REVIEW, ESCALATED, DECIDED, APPEALED)
# Waiting for a reviewer: what a claim may take (besides an in_review case whose lease ran out).
WAITING = (OPEN, ESCALATED, APPEALED)

TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({IN_REVIEW, ESCALATED, DECIDED}),  # decided: the model's auto-close
    # claim at the higher tier; escalate again (SLA breach before anyone claimed it)
    ESCALATED: frozenset({IN_REVIEW, ESCALATED}),
    # decide; escalate; release back to where it was claimed from
    IN_REVIEW: frozenset({DECIDED, ESCALATED, OPEN, APPEALED}),
    DECIDED: frozenset({APPEALED}),
    APPEALED: frozenset({IN_REVIEW, ESCALATED}),
}


class IllegalTransition(Exception):
    """A case cannot go from its state to the one asked for. The message is safe to show."""

    code = "illegal_transition"

    def __init__(self, current: str, target: str) -> None:
        allowed = ", ".join(sorted(TRANSITIONS.get(current, frozenset()))) or "none"
        super().__init__(f"A case cannot go from {current} to {target} (allowed from {current}: {allowed}).")
        self.current = current
        self.target = target
        self.message = str(self)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
