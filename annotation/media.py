"""Item images: processed by privacy.images at import (metadata stripped, faces blurred) and stored
content-addressed; users only ever receive the processed file.

An item's ``media`` holds one of:
* ``quorum:<sha256>.<ext>``: a processed image in ``QUORUM["MEDIA_DIR"]``, served by ``ItemMediaApi``;
* an external ``http(s)`` URL, which Quorum cannot process (it fetches nothing): shown to internal
  staff only, never to a vendor account.
At import, ``media`` may also be a ``data:image/...;base64,`` URI or a file name inside
``QUORUM["MEDIA_IMPORT_DIR"]``; both are processed and stored as ``quorum:`` media.
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from .schema import SchemaError

PREFIX = "quorum:"
_EXT = {"image/png": "png", "image/jpeg": "jpg"}
CONTENT_TYPES = {v: k for k, v in _EXT.items()}


def media_dir() -> Path:
    return Path(settings.QUORUM["MEDIA_DIR"])


def _final_path(name: str) -> Path:
    return media_dir() / name[:2] / name


def _store(data: bytes, content_type: str, sha256: str, staging: Path | None = None) -> str:
    name = f"{sha256}.{_EXT[content_type]}"
    final = _final_path(name)
    target = final if staging is None else staging / name
    if not final.exists() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).replace(target)  # atomic: a reader never sees half a file
    return PREFIX + name


def staging_dir(job_id: int) -> Path:
    """Where an import's images wait until the import is stored: a failed import leaves none."""
    return media_dir() / ".incoming" / f"import-{int(job_id)}"


def publish(staging: Path) -> int:
    """Move staged images into place (before the items naming them commit); returns how many."""
    if not staging.is_dir():
        return 0
    moved = 0
    for path in staging.iterdir():
        if path.name.startswith(".") or stored_path(PREFIX + path.name, any_state=True) is None:
            continue
        final = _final_path(path.name)
        final.parent.mkdir(parents=True, exist_ok=True)
        path.replace(final)  # same file system: atomic; content-addressed, so a race writes the same bytes
        moved += 1
    return moved


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def _source_bytes(value: str) -> bytes | None:
    """The image bytes a media value names, or None for an external URL (kept as it is)."""
    if value.startswith(("http://", "https://")):
        return None
    if value.startswith("data:"):
        header, _, payload = value.partition(",")
        if not header.startswith("data:image/") or not header.endswith(";base64"):
            raise SchemaError("media", "a data URI must be data:image/...;base64,...")
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise SchemaError("media", "the data URI is not valid base64") from None
    root = Path(settings.QUORUM["MEDIA_IMPORT_DIR"]).resolve()
    path = (root / value).resolve()
    if root not in path.parents:
        raise SchemaError("media", f"{value!r} is outside the media import folder")
    if not path.is_file():
        raise SchemaError("media", f"no file {value!r} in the media import folder")
    return path.read_bytes()


def ingest(value: str, *, staging: Path | None = None) -> str:
    """Process the image a record names and return the stored media value; raises SchemaError.
    With ``staging``, a new image is written there, for ``publish`` once the import is stored."""
    if not value or value.startswith(PREFIX):
        if value and not stored_path(value):
            raise SchemaError("media", f"unknown stored media {value!r}")
        return value
    data = _source_bytes(value)
    if data is None:
        return value
    from privacy.images import ImageRejected, process_image  # numpy, Pillow, OpenCV: workers only

    try:
        image = process_image(data)
    except ImageRejected as e:
        raise SchemaError("media", e.reason) from None
    except ValueError as e:
        raise SchemaError("media", str(e)) from None
    return _store(image.data, image.content_type, image.sha256, staging)


def add_regions(value: str, regions: Sequence[Sequence[int]]) -> str:
    """Blur reviewer-marked regions into a stored image; returns the new stored value."""
    path = stored_path(value)
    if path is None:
        raise SchemaError("media", "only images stored by Quorum can be edited")
    from privacy.images import ImageRejected, process_image

    try:
        image = process_image(path.read_bytes(), regions=regions, blur_faces=False)
    except (ImageRejected, ValueError) as e:
        raise SchemaError("regions", str(e)) from None
    return _store(image.data, image.content_type, image.sha256)


def stored_path(value: str, *, any_state: bool = False) -> Path | None:
    """The file a ``quorum:`` value names, if the name is well-formed (and, unless ``any_state``,
    the file is there). Nothing else under the media folder is ever reachable by a value."""
    if not value.startswith(PREFIX):
        return None
    name = value[len(PREFIX) :]
    stem, _, ext = name.partition(".")
    if len(stem) != 64 or not all(c in "0123456789abcdef" for c in stem) or ext not in CONTENT_TYPES:
        return None
    path = _final_path(name)
    return path if any_state or path.is_file() else None


def media_for(*, item_id: int, value: str, internal: bool) -> str:
    """What a user is shown as an item's media: the processed image's URL, an external URL for
    internal staff only, else nothing."""
    if not value:
        return ""
    if value.startswith(PREFIX):
        return f"/api/v1/items/{item_id}/media"
    return value if internal else ""
