"""Fixtures for export tests: a private snapshot directory, items with human answers, audit capture."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from annotation.models import Annotation, AnnotationSource, Item, Project
from workforce.models import User


@pytest.fixture
def snapshot_dir(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Snapshots go under tmp_path, here and in worker processes started after this fixture."""
    path = tmp_path / "snapshots"
    settings.QUORUM = {**settings.QUORUM, "SNAPSHOT_DIR": path}
    monkeypatch.setenv("QUORUM_SNAPSHOT_DIR", str(path))
    return path


@pytest.fixture
def audit_log(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every audit record the export code makes, captured as called; each still goes to the real
    append-only log (privacy.audit)."""
    from training_export import services

    calls: list[dict[str, Any]] = []
    real = services.audit

    def record(**kwargs: Any) -> None:
        calls.append(kwargs)
        real(**kwargs)

    monkeypatch.setattr("training_export.services.audit", record)
    return calls


def add_item(
    project: Project,
    external_id: str,
    text: str = "",
    *,
    purposes: Sequence[str] | None = None,
    jurisdiction: str = "",
    gold: dict[str, Any] | None = None,
) -> Item:
    text = text or f"redacted text of {external_id}"
    kwargs: dict[str, Any] = {}
    if purposes is not None:
        kwargs["allowed_purposes"] = list(purposes)
    return Item.objects.create(
        project=project,
        external_id=external_id,
        text_redacted=text,
        jurisdiction=jurisdiction,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        is_gold=gold is not None,
        reference=gold,
        **kwargs,
    )


def answer(item: Item, user: User, labels: Iterable[str] = (), spans: Sequence[dict[str, Any]] = ()) -> Annotation:
    return Annotation.objects.create(
        item=item,
        annotator=user,
        vendor=user.vendor,
        labels=list(labels),
        spans=list(spans),
        source=AnnotationSource.HUMAN,
    )
