"""The detector set: every built-in detector, gated in one ``BuiltinScan`` or listed one by one."""

from __future__ import annotations

from .base import Anchored, AnchoredRegex, Detector, RegexDetector
from .numeric import NumericScan
from .scan import BuiltinScan, anchored_detectors, has_digit


def default_detectors() -> list[Detector]:
    """A fresh list of every built-in detector, one by one, in the order ``BuiltinScan`` runs them.

    ``Engine(default_detectors())`` finds exactly what ``Engine()`` finds, only slower: it runs every
    detector on every text, where ``BuiltinScan`` skips those that cannot match.
    """
    return BuiltinScan().detectors


__all__ = [
    "Anchored",
    "AnchoredRegex",
    "BuiltinScan",
    "Detector",
    "NumericScan",
    "RegexDetector",
    "anchored_detectors",
    "default_detectors",
    "has_digit",
]
