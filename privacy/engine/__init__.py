"""Pure-Python PII detection and redaction engine (no Django): detectors, operators, policies."""

from __future__ import annotations

from .engine import DEFAULT_MIN_SCORE, Engine, default_engine, detect
from .findings import EntityType, Finding, resolve_overlaps
from .operators import Operator, apply_operators, mask, placeholder
from .policies import CLEARANCES, INTERNAL, POLICIES, RESTRICTED, STANDARD, Policy, policy_for
from .pseudonyms import IndexStore, MemoryIndexStore, Pseudonymizer, derive_project_key, normalize

ENGINE_VERSION = 3


def redact(
    text: str,
    policy: Policy = RESTRICTED,
    *,
    pseudonymizer: Pseudonymizer | None = None,
    engine: Engine | None = None,
) -> str:
    """Detect with ``engine`` (the default one unless given) and apply ``policy``."""
    if not text or not policy.changes_text:
        return text
    findings = (engine or default_engine()).detect(text)
    return policy.apply(text, findings, pseudonymizer)


__all__ = [
    "CLEARANCES",
    "DEFAULT_MIN_SCORE",
    "ENGINE_VERSION",
    "INTERNAL",
    "POLICIES",
    "RESTRICTED",
    "STANDARD",
    "Engine",
    "EntityType",
    "Finding",
    "IndexStore",
    "MemoryIndexStore",
    "Operator",
    "Policy",
    "Pseudonymizer",
    "apply_operators",
    "default_engine",
    "derive_project_key",
    "detect",
    "mask",
    "normalize",
    "placeholder",
    "policy_for",
    "redact",
    "resolve_overlaps",
]
