"""The detection engine: runs every detector over a text and resolves overlapping findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .detectors import BuiltinScan, Detector
from .findings import EntityType, Finding, resolve_overlaps

DEFAULT_MIN_SCORE = 0.5


class Engine:
    """A fixed set of detectors and a score threshold; stateless and safe to share between threads.

    Without ``detectors`` it runs the built-in ones through ``BuiltinScan`` (each behind a cheap
    necessary condition); ``Engine(default_detectors())`` finds the same, one detector at a time.
    """

    def __init__(
        self,
        detectors: Sequence[Detector] | None = None,
        *,
        min_score: float = DEFAULT_MIN_SCORE,
        types: Iterable[EntityType] | None = None,
    ) -> None:
        self.detectors: tuple[Detector, ...] = tuple(detectors) if detectors is not None else (BuiltinScan(),)
        self.min_score = min_score
        self.types = frozenset(types) if types is not None else None

    def candidates(self, text: str) -> list[Finding]:
        """Every finding of every detector, before threshold and overlap resolution."""
        found: list[Finding] = []
        for detector in self.detectors:
            found += detector.find(text)
        if self.types is not None:
            found = [f for f in found if f.type in self.types]
        return found

    def detect(self, text: str) -> list[Finding]:
        """Non-overlapping findings at or above ``min_score``, sorted by start."""
        if not text:
            return []
        return resolve_overlaps(self.candidates(text), min_score=self.min_score)


_DEFAULT: Engine | None = None


def default_engine() -> Engine:
    global _DEFAULT  # noqa: PLW0603 - one shared, immutable engine per process
    if _DEFAULT is None:
        _DEFAULT = Engine()
    return _DEFAULT


def detect(text: str) -> list[Finding]:
    """Findings of the default engine."""
    return default_engine().detect(text)
