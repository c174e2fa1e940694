"""One pass over the text for every detector anchored on a digit (or ``+``, ``(``, ``-``, X/Y/Z).

Run separately, a dozen such detectors each pay ``re``'s per-position cost over the whole text. Here a
single pattern consumes the first character of a candidate and tries, in order, each detector's guard
and probe (a necessary condition for that detector to match) as alternatives; an empty group after each
alternative tells which one held. Plain numbers ("2024", "15%") satisfy none and never reach Python.

When alternative ``k`` holds, detectors before ``k`` cannot match at that position (their necessary
condition failed), so only detectors ``k``, ``k+1``, ... are asked. Detectors whose probes hold often
(phone shapes, house numbers) go last, so most positions ask one or two detectors. Consecutive detectors
may share a ``gate``, a cheaper necessary condition of all their probes, tried once for the group (a
plain number like "2024," or "3.5" then skips five id probes with one test).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..findings import Finding
from .base import COMMON_GUARD, Anchored


def _class_body(cls: str) -> str:
    if not (cls.startswith("[") and cls.endswith("]")):
        raise ValueError(f"an anchor must be a character class, got {cls!r}")
    return cls[1:-1]


def _exclusive(detector: Anchored) -> bool:
    return bool(getattr(detector, "exclusive", False))


def _gate(detector: Anchored) -> str | None:
    gate = getattr(detector, "gate", None)
    return gate if isinstance(gate, str) else None


class NumericScan:
    """Runs several ``Anchored`` detectors with one regex scan; order them rarest probe first."""

    name = "numeric_scan"

    def __init__(self, detectors: Sequence[Anchored]) -> None:
        self.detectors = tuple(detectors)
        union = "".join(_class_body(d.first) for d in self.detectors)
        # Consecutive detectors that share a ``gate`` (a cheap necessary condition of each of their probes)
        # are tried behind it, so a position that fails the gate skips all of them at once.
        groups: list[str] = []
        i = 0
        while i < len(self.detectors):
            gate = _gate(self.detectors[i])
            j = i + 1
            while gate is not None and j < len(self.detectors) and _gate(self.detectors[j]) == gate:
                j += 1
            alternatives = "|".join(
                f"(?<={d.first}){d.guard}(?={d.probe})(?P<n{k}>)" for k, d in enumerate(self.detectors[i:j], i)
            )
            groups.append(alternatives if gate is None else f"(?={gate})(?:{alternatives})")
            i = j
        self.pattern = re.compile(f"[{union}]{COMMON_GUARD}(?:{'|'.join(groups)})")
        # A detector marked ``exclusive`` (house numbers: at most four digits) cannot match where another
        # detector's probe held, so it is only asked at its own positions.
        self._tails = {
            f"n{i}": tuple(d for j, d in enumerate(self.detectors) if j == i or (j > i and not _exclusive(d)))
            for i in range(len(self.detectors))
        }

    def find(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        tails = self._tails
        for m in self.pattern.finditer(text):
            start = m.start()
            for d in tails[m.lastgroup or "n0"]:
                found += d.at(text, start)
        return found
