"""The redaction entry point the import pipeline calls before anything is stored.

``redactor_for_project(project_id).redact(text)`` returns the restricted view (every finding replaced
by a type placeholder such as ``<EMAIL>``); that is what ``Item.text_redacted`` holds. ``redact_for``
renders the view of a clearance level from the raw text, ``detect`` returns the findings. Detection and
operators live in ``privacy.engine`` (pure Python, no Django); this module only adds the per-project
pseudonym key, derived as HMAC-SHA256(master key, project id). The master key is read lazily from
``settings.QUORUM["PSEUDONYM_MASTER_KEY"]`` when set, else ``settings.SECRET_KEY``: rotating it changes
every pseudonym, never any stored redacted text (stored text holds placeholders only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from privacy.engine import (
    RESTRICTED,
    STANDARD,
    Engine,
    Finding,
    IndexStore,
    Operator,
    Pseudonymizer,
    default_engine,
    derive_project_key,
    policy_for,
)

# Bump when the stored redacted text of the same input can change (new detectors, new placeholders).
# 3: a run of digit groups holding several phone or card numbers has all of them hidden, not only the first.
REDACTION_VERSION = 3


def _master_key() -> bytes:
    from django.conf import settings  # read at call time: the engine must stay importable without Django

    quorum = getattr(settings, "QUORUM", None) or {}
    key = quorum.get("PSEUDONYM_MASTER_KEY") or settings.SECRET_KEY
    return key.encode() if isinstance(key, str) else bytes(key)


class StoredViews(NamedTuple):
    """What the database keeps of a text, besides its sealed raw form."""

    restricted: str  # Item.text_redacted
    standard: str  # Item.text_pseudonymized


_PSEUDONYM = Operator.PSEUDONYM


class _MemoPseudonymizer(Pseudonymizer):
    """Digests computed once per (type, value) within one ``views`` call (resolve, then render)."""

    def __init__(self, project_key: bytes, store: IndexStore | None = None) -> None:
        super().__init__(project_key, store)
        self._memo: dict[tuple[str, str], bytes] = {}

    def digest(self, kind: str, value: str) -> bytes:
        key = (kind, value)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = super().digest(kind, value)
        return found


@dataclass(frozen=True)
class Redactor:
    """Redaction for one project: detection by ``engine``, pseudonyms under the project's key.

    Pseudonym numbers are per text by default (deterministic: the same text renders the same way in
    every process). Pass an ``IndexStore`` to ``redactor_for_project`` for numbering shared across texts.
    """

    project_id: int
    pseudonym_key: bytes = field(repr=False)
    engine: Engine = field(default_factory=default_engine, repr=False, compare=False)
    store: IndexStore | None = field(default=None, repr=False, compare=False)

    def detect(self, text: str) -> list[Finding]:
        return self.engine.detect(text) if text else []

    def redact(self, text: str) -> str:
        """The restricted view: every finding becomes its type placeholder."""
        if not text:
            return text
        return RESTRICTED.apply(text, self.engine.detect(text))

    def redact_for(self, text: str, clearance: str) -> str:
        """The view of ``text`` for a clearance level: "restricted", "standard" or "internal"."""
        policy = policy_for(clearance)
        if not text or not policy.changes_text:
            return text
        pseudonymizer = Pseudonymizer(self.pseudonym_key, self.store)
        return policy.apply(text, self.engine.detect(text), pseudonymizer)

    def views(self, texts: Sequence[str]) -> list[StoredViews]:
        """The stored views of many texts. Detection runs once per text; with a store that resolves
        in batches (``privacy.pseudonym_store``) every pseudonym number of the batch costs two queries."""
        detect = self.engine.detect
        found = [detect(t) if t else [] for t in texts]
        pseudonymizer = _MemoPseudonymizer(self.pseudonym_key, self.store)
        resolve = getattr(self.store, "resolve", None)
        if resolve is not None:
            op_for = STANDARD.operator_for
            digest = pseudonymizer.digest
            keys = [
                (str(f.type), digest(f.type, t[f.start : f.end]))
                for t, fs in zip(texts, found, strict=True)
                for f in fs
                if op_for(f) is _PSEUDONYM
            ]
            if keys:
                resolve(keys)
        restricted, standard = RESTRICTED.apply, STANDARD.apply
        return [
            StoredViews(restricted(t, fs), standard(t, fs, pseudonymizer)) if fs else StoredViews(t, t)
            for t, fs in zip(texts, found, strict=True)
        ]


def redactor_for_project(
    project_id: int,
    *,
    master_key: bytes | None = None,
    store: IndexStore | None = None,
    engine: Engine | None = None,
) -> Redactor:
    """The project's redactor. ``master_key`` defaults to the Django settings (see the module docstring)."""
    key = derive_project_key(master_key if master_key is not None else _master_key(), project_id)
    return Redactor(project_id=project_id, pseudonym_key=key, engine=engine or default_engine(), store=store)


def project_redactor(project_id: int) -> Redactor:
    """The redactor the platform stores views with: pseudonym numbers shared by the whole project."""
    from .pseudonym_store import ProjectPseudonyms  # Django models: not needed by the pure path above

    return redactor_for_project(project_id, store=ProjectPseudonyms(project_id))
