"""Triage arithmetic: category probabilities → score → severity → route, and the threshold dry run.

Plain Python, no Django import. The model answers two questions about an item: safe or unsafe, and
which of the policy's categories; both are calibrated against the model's prior and combined into one
distribution over the categories and BENIGN. The triage score is the probability of any violation
(1 - p(benign)), the category the most probable violating one, and the severity steps up with the
score. A project's routing
closes cases scoring below ``auto_close_below`` and escalates those above ``escalate_above``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

BENIGN = "none"
# Score at or above which a case gets each severity; below the lowest one it is severity 1. Set high
# because triage only ever raises severity: on the bundled zero-shot model benign texts scored
# 0.41-0.66 and harmful ones 0.67-0.85 (12 hand-written texts), so lower steps would promote benign
# reports. Projects set their own (TriageConfig.severity_thresholds) once they have decided cases.
DEFAULT_SEVERITY_THRESHOLDS: dict[int, float] = {4: 0.95, 3: 0.8, 2: 0.6}
ACTIONED = ("remove", "restrict")  # final actions that mean the content did violate the policy

AUTO_CLOSE = "auto_close"
ESCALATE = "escalate"
QUEUE = "queue"


class InvalidThresholds(ValueError):
    """Thresholds out of range or out of order. The message is safe to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Triage:
    category: str  # the most probable violating category's code
    category_probability: float
    score: float  # probability of any violation
    severity: int
    probabilities: dict[str, float]  # by category code, plus BENIGN


def severity_thresholds(raw: Mapping[Any, Any] | None) -> dict[int, float]:
    """Validated thresholds by severity (2-4), defaults for those not given; higher severities need
    scores at least as high."""
    merged = dict(DEFAULT_SEVERITY_THRESHOLDS)
    for key, value in (raw or {}).items():
        try:
            severity, threshold = int(key), float(value)
        except (TypeError, ValueError):
            raise InvalidThresholds("severity_thresholds", f"{key!r}: {value!r} is not severity: score.") from None
        if severity not in (2, 3, 4):
            raise InvalidThresholds("severity_thresholds", "Thresholds are given for severities 2, 3 and 4.")
        if not 0.0 <= threshold <= 1.0:
            raise InvalidThresholds("severity_thresholds", "Thresholds are probabilities, 0 to 1.")
        merged[severity] = threshold
    if not merged[2] <= merged[3] <= merged[4]:
        raise InvalidThresholds("severity_thresholds", "A higher severity needs a threshold at least as high.")
    return merged


def severity_for(score: float, thresholds: Mapping[int, float] | None = None) -> int:
    steps = thresholds if thresholds is not None else DEFAULT_SEVERITY_THRESHOLDS
    for severity in (4, 3, 2):
        if score >= steps[severity]:
            return severity
    return 1


def triage_from(probabilities: Mapping[str, float], thresholds: Mapping[int, float] | None = None) -> Triage:
    """Read a distribution over category codes and BENIGN (summing to 1)."""
    harmful = {code: p for code, p in probabilities.items() if code != BENIGN}
    if not harmful:
        raise ValueError("no policy category among the probabilities")
    category = max(harmful, key=lambda code: harmful[code])
    score = min(1.0, max(0.0, 1.0 - float(probabilities.get(BENIGN, 0.0))))
    return Triage(
        category=category,
        category_probability=float(harmful[category]),
        score=score,
        severity=severity_for(score, thresholds),
        probabilities=dict(probabilities),
    )


def contextual_calibration(scores: Mapping[str, float], prior: Mapping[str, float]) -> dict[str, float]:
    """Divide a distribution by the model's prior for the same question and renormalize ("calibrate
    before use", Zhao et al. 2021): a small model's label preferences stop passing for evidence."""
    raw = {k: v / max(prior.get(k, 0.0), 1e-9) for k, v in scores.items()}
    total = sum(raw.values())
    if total <= 0:
        return {k: 1.0 / len(raw) for k in raw}
    return {k: v / total for k, v in raw.items()}


def combined(*, unsafe: float, categories: Mapping[str, float]) -> dict[str, float]:
    """One distribution over the categories and BENIGN from p(unsafe) and p(category | unsafe)."""
    total = sum(categories.values())
    out = {code: unsafe * (p / total if total > 0 else 1.0 / len(categories)) for code, p in categories.items()}
    out[BENIGN] = 1.0 - unsafe
    return out


def check_routing(auto_close_below: float | None, escalate_above: float | None) -> None:
    for field, value in (("auto_close_below", auto_close_below), ("escalate_above", escalate_above)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise InvalidThresholds(field, "Thresholds are scores, 0 to 1.")
    if auto_close_below is not None and escalate_above is not None and auto_close_below >= escalate_above:
        raise InvalidThresholds("auto_close_below", "auto_close_below must be below escalate_above.")


def route(score: float, *, auto_close_below: float | None, escalate_above: float | None) -> str:
    if auto_close_below is not None and score < auto_close_below:
        return AUTO_CLOSE
    if escalate_above is not None and score > escalate_above:
        return ESCALATE
    return QUEUE


# --- dry run ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PastCase:
    score: float
    final_action: str  # allow, remove, restrict


@dataclass(frozen=True)
class RoutingOutcome:
    """What a threshold pair would have done to decided cases. A false negative is a case it would
    have closed that a reviewer actioned; a needless escalation one it escalated that was allowed."""

    auto_close_below: float | None
    escalate_above: float | None
    cases: int
    actioned: int
    auto_closed: int
    auto_closed_actioned: int  # false negatives
    escalated: int
    escalated_actioned: int
    escalated_allowed: int
    queued: int
    queued_actioned: int
    false_negative_rate: float | None  # of the actioned cases, the share it would have closed
    auto_close_precision: float | None  # of the closed cases, the share rightly allowed
    escalation_precision: float | None  # of the escalated cases, the share actioned
    review_saved: float | None  # share of cases no reviewer would have seen

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def dry_run(
    cases: Iterable[PastCase], *, auto_close_below: float | None, escalate_above: float | None
) -> RoutingOutcome:
    check_routing(auto_close_below, escalate_above)
    counts = {(r, a): 0 for r in (AUTO_CLOSE, ESCALATE, QUEUE) for a in (True, False)}
    for case in cases:
        decision = route(case.score, auto_close_below=auto_close_below, escalate_above=escalate_above)
        counts[(decision, case.final_action in ACTIONED)] += 1
    closed_bad, closed_ok = counts[(AUTO_CLOSE, True)], counts[(AUTO_CLOSE, False)]
    esc_bad, esc_ok = counts[(ESCALATE, True)], counts[(ESCALATE, False)]
    queued_bad, queued_ok = counts[(QUEUE, True)], counts[(QUEUE, False)]
    total = sum(counts.values())
    actioned = closed_bad + esc_bad + queued_bad
    closed = closed_bad + closed_ok
    escalated = esc_bad + esc_ok
    return RoutingOutcome(
        auto_close_below=auto_close_below,
        escalate_above=escalate_above,
        cases=total,
        actioned=actioned,
        auto_closed=closed,
        auto_closed_actioned=closed_bad,
        escalated=escalated,
        escalated_actioned=esc_bad,
        escalated_allowed=esc_ok,
        queued=queued_bad + queued_ok,
        queued_actioned=queued_bad,
        false_negative_rate=_ratio(closed_bad, actioned),
        auto_close_precision=_ratio(closed_ok, closed),
        escalation_precision=_ratio(esc_bad, escalated),
        review_saved=_ratio(closed, total),
    )
