"""Policies map each entity type to an operator; one policy per vendor clearance level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from .findings import EntityType, Finding
from .operators import Operator, apply_operators
from .pseudonyms import Pseudonymizer


@dataclass(frozen=True)
class Policy:
    """``default`` for every type, except the types named in ``overrides``."""

    name: str
    default: Operator
    overrides: Mapping[EntityType, Operator] = field(default_factory=dict)
    # Every type's operator, looked up once per finding.
    _operators: dict[str, Operator] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "_operators", {**dict.fromkeys(EntityType, self.default), **self.overrides})

    def operator(self, kind: EntityType) -> Operator:
        return self.overrides.get(kind, self.default)

    def operator_for(self, finding: Finding) -> Operator:
        return self._operators.get(finding.type, self.default)

    @property
    def changes_text(self) -> bool:
        return self.default is not Operator.KEEP or any(
            op is not Operator.KEEP for op in self.overrides.values()
        )

    def apply(
        self, text: str, findings: Sequence[Finding], pseudonymizer: Pseudonymizer | None = None
    ) -> str:
        return apply_operators(text, findings, self.operator_for, pseudonymizer)


# Types whose value is dangerous in itself (a card number can be charged); never pseudonymized.
_ALWAYS_PLACEHOLDER = (
    EntityType.SECRET,
    EntityType.CARD,
    EntityType.IBAN,
    EntityType.NATIONAL_ID,
    EntityType.SSN,
)

RESTRICTED = Policy("restricted", Operator.PLACEHOLDER)
STANDARD = Policy("standard", Operator.PSEUDONYM, dict.fromkeys(_ALWAYS_PLACEHOLDER, Operator.PLACEHOLDER))
INTERNAL = Policy("internal", Operator.KEEP)

POLICIES: Mapping[str, Policy] = MappingProxyType({p.name: p for p in (RESTRICTED, STANDARD, INTERNAL)})
CLEARANCES: Sequence[str] = ("restricted", "standard", "internal")


def policy_for(clearance: str) -> Policy:
    """The policy of a clearance level; an unknown level is an error, never a silent downgrade."""
    try:
        return POLICIES[str(clearance)]
    except KeyError:
        raise ValueError(
            f"unknown clearance {clearance!r}; expected one of {', '.join(CLEARANCES)}"
        ) from None
