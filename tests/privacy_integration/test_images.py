"""Item images: processed at import (metadata gone), served only processed, regions blurred by reviewers."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from annotation.models import ImportStatus, Item
from privacy.models import AuditAction, AuditEntry
from tests.conftest import make_project
from tests.privacy_integration.support import import_records


def _jpeg_with_gps() -> bytes:
    picture = Image.new("RGB", (64, 48), (200, 120, 40))
    for x in range(20, 40):
        for y in range(10, 30):
            picture.putpixel((x, y), ((x * 13) % 256, (y * 29) % 256, (x * y) % 256))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.0), "E", (13.0, 24.0, 36.0)
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _data_uri(data: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@pytest.fixture
def photo_item(world):
    project = make_project(world, vendors=[world.offshore])
    raw = _jpeg_with_gps()
    assert b"PhoneMaker" in raw
    (item,) = import_records(world, project, [{"id": "p1", "text": "photo", "media": _data_uri(raw)}])
    return project, item


def test_imported_images_are_stored_processed_and_served_to_vendors(world, photo_item):
    _, item = photo_item
    assert item.media.startswith("quorum:") and item.media.endswith(".jpg")
    shown = world.client("off_annotator").get(f"/api/v1/items/{item.pk}").json()
    assert shown["media"] == f"/api/v1/items/{item.pk}/media"
    response = world.client("off_annotator").get(shown["media"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert b"PhoneMaker" not in body and b"Exif" not in body
    assert not Image.open(io.BytesIO(body)).getexif()
    assert world.client("stranger").get(shown["media"]).status_code in (403, 404)


def test_external_urls_are_never_shown_to_vendors(world):
    project = make_project(world, vendors=[world.offshore])
    (item,) = import_records(world, project, [{"id": "u", "text": "x", "media": "https://cdn.example/p.jpg"}])
    assert world.client("off_annotator").get(f"/api/v1/items/{item.pk}").json()["media"] == ""
    assert world.client("admin").get(f"/api/v1/items/{item.pk}").json()["media"] == "https://cdn.example/p.jpg"
    assert world.client("off_annotator").get(f"/api/v1/items/{item.pk}/media").status_code == 404


@pytest.mark.parametrize(
    ("media", "message"),
    [
        (_data_uri(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
         "SVG"),
        ("data:image/png;base64,@@@", "base64"),
        ("../../etc/passwd", "outside the media import folder"),
        ("missing.png", "no file"),
    ],
)
def test_bad_images_fail_the_import_naming_line_and_field(world, tmp_path, settings, media, message):
    from annotation.importing.pipeline import run_import
    from annotation.services import import_create
    from workforce.access import actor_for

    settings.QUORUM = {**settings.QUORUM, "MEDIA_IMPORT_DIR": tmp_path / "media-import"}
    project = make_project(world)
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "ok", "text": "fine"}\n' + json.dumps({"id": "bad", "text": "x", "media": media}) + "\n")
    job = import_create(actor=actor_for(world.users["ml"]), project=project, filename=path.name, path=path,
                        enqueue=False)
    job = run_import(job.pk)
    assert job.status == ImportStatus.FAILED
    (error,) = job.errors
    assert (error["line"], error["field"]) == (2, "media") and message.lower() in error["message"].lower(), error
    assert not Item.objects.filter(project=project).exists()


def test_reviewers_blur_regions_and_vendors_get_only_the_new_image(world, photo_item):
    _, item = photo_item
    before = b"".join(world.client("off_annotator").get(f"/api/v1/items/{item.pk}/media").streaming_content)
    refused = world.client("off_reviewer").post(f"/api/v1/items/{item.pk}/media/regions",
                                                {"regions": [[20, 10, 20, 20]]}, format="json")
    assert refused.status_code == 403
    done = world.client("reviewer").post(f"/api/v1/items/{item.pk}/media/regions",
                                         {"regions": [[20, 10, 20, 20]]}, format="json")
    assert done.status_code == 200, done.content
    after_item = Item.objects.get(pk=item.pk)
    assert after_item.media != item.media
    after = b"".join(world.client("off_annotator").get(f"/api/v1/items/{item.pk}/media").streaming_content)
    assert after != before
    region = Image.open(io.BytesIO(after)).convert("L").crop((22, 12, 38, 28))
    original = Image.open(io.BytesIO(before)).convert("L").crop((22, 12, 38, 28))
    spread = lambda im: im.getextrema()[1] - im.getextrema()[0]  # noqa: E731
    assert spread(region) < spread(original)  # the marked box lost its detail
    assert AuditEntry.objects.filter(action=AuditAction.IMAGE_REGIONS, item_ids=[item.pk]).exists()
    bad = world.client("reviewer").post(f"/api/v1/items/{item.pk}/media/regions",
                                        {"regions": [[60, 40, 50, 50]]}, format="json")
    assert bad.status_code == 400
