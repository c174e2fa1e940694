"""By construction: only a few modules may touch the sealed raw text, and none of them serves users.

Every other reference to ``text_sealed`` must be a ``defer(...)`` (keeping it out of a query).
A new module that reads or writes raw text fails here until it is reviewed and listed.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("annotation", "review", "inference", "training_export", "quality", "privacy", "frontend", "workforce",
        "config")

# Module → why it may touch raw text.
ALLOWED = {
    "privacy/content.py": "seals and opens (the only place with the key ring)",
    "privacy/reveal.py": "reveal to cleared internal staff, audited",
    "annotation/models.py": "declares the column",
    "annotation/items.py": "writes sealed text on create and edit",
    "annotation/importing/pipeline.py": "seals at import",
    "annotation/importing/records.py": "the in-memory row before sealing",
    "annotation/importing/store.py": "stages the sealed bytes",
    "annotation/management/commands/rotate_content_key.py": "re-seals under a new key",
    "training_export/build.py": "raw-level snapshots for cleared internal ML engineers, audited",
}
RAW = re.compile(r"text_sealed|open_item_text|open_text\(|seal_texts?\(")
# Keeping it out: a query's defer(...), an admin form's exclude.
DEFER = re.compile(r"""\.defer\([^)]*["'](?:\w+__)?text_sealed["']|^\s*exclude = \[["']text_sealed["']\]""")


def test_only_listed_modules_touch_raw_text():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel or rel in ALLOWED:
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if RAW.search(line) and not DEFER.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "raw item text touched outside the reviewed modules:\n" + "\n".join(offenders)


def test_vendor_facing_serializers_have_no_raw_field():
    from annotation.api import ItemOut, LeasedItemOut
    from review.api import ContentOut

    for serializer in (ItemOut(), LeasedItemOut(), ContentOut()):
        for name, field in serializer.fields.items():
            assert "sealed" not in name and "sealed" not in str(getattr(field, "source", ""))
