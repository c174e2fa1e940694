"""Redaction operators (mask, placeholder, pseudonym, remove, keep) and applying them to a text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from .findings import Finding
from .pseudonyms import Pseudonymizer


class Operator(StrEnum):
    MASK = "mask"  # "*****", same length as the value
    PLACEHOLDER = "placeholder"  # "<EMAIL>"
    PSEUDONYM = "pseudonym"  # "<PERSON_3>", consistent per value
    REMOVE = "remove"  # ""
    KEEP = "keep"  # the value itself


def mask(value: str) -> str:
    return "*" * len(value)


def placeholder(kind: str) -> str:
    return "<" + kind + ">"  # concatenation: an enum's format() is much slower than its str value


def _start(f: Finding) -> int:
    return f.start


# Module constants: an enum member looked up as ``Operator.X`` in the loop costs a class attribute lookup.
_KEEP, _MASK, _PLACEHOLDER, _REMOVE, _PSEUDONYM = (
    Operator.KEEP,
    Operator.MASK,
    Operator.PLACEHOLDER,
    Operator.REMOVE,
    Operator.PSEUDONYM,
)


def apply_operators(
    text: str,
    findings: Sequence[Finding],
    operator_for: Callable[[Finding], Operator],
    pseudonymizer: Pseudonymizer | None = None,
) -> str:
    """Rewrite ``text`` with each finding replaced as its operator says.

    ``findings`` must not overlap (``resolve_overlaps`` guarantees it); they are applied in start order.
    """
    if not findings:
        return text
    out: list[str] = []
    pos = 0
    for f in sorted(findings, key=_start) if len(findings) > 1 else findings:
        start = f.start
        if start < pos:
            raise ValueError("findings overlap; resolve them first")
        op = operator_for(f)
        out.append(text[pos:start])
        if op is _PLACEHOLDER:
            out.append("<" + f.type + ">")
        elif op is _KEEP:
            out.append(text[start : f.end])
        elif op is _MASK:
            out.append(mask(text[start : f.end]))
        elif op is _REMOVE:
            pass
        elif op is _PSEUDONYM:
            if pseudonymizer is None:
                raise ValueError("the pseudonym operator needs a Pseudonymizer")
            out.append(pseudonymizer.pseudonym(f.type, text[start : f.end]))
        else:  # pragma: no cover - exhaustive over Operator
            raise ValueError(op)
        pos = f.end
    out.append(text[pos:])
    return "".join(out)
