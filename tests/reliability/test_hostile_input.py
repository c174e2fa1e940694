"""Hostile files and bodies: deep nesting, huge lines, oversized uploads, bad encodings, bombs,
polyglots, SVG with script, path traversal. Each is refused with an error naming what and where
(line, field), and nothing is stored: no item, no staged row, no image, no uploaded file left.

Fixtures are generated here (a sparse file stands in for a 50 MB line); the image engine's own
hostile-file cases are in tests/privacy_images/test_hostile.py and are not repeated.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from annotation.importing.parsers import MAX_LINE_BYTES, iter_records
from annotation.importing.pipeline import run_import
from annotation.models import ImportJob, ImportStatus, Item, Project
from annotation.services import import_create
from tests.conftest import World
from tests.privacy_images.helpers import crafted_png, encode, noise
from workforce.access import actor_for

MIB = 1024 * 1024


@pytest.fixture
def dirs(settings: Any, tmp_path: Path) -> dict[str, Path]:
    """Private media, media-import and upload folders: 'nothing stored' is checked on them."""
    paths = {name: tmp_path / name for name in ("media", "media-import", "uploads")}
    for path in paths.values():
        path.mkdir()
    settings.QUORUM = {
        **settings.QUORUM,
        "MEDIA_DIR": paths["media"],
        "MEDIA_IMPORT_DIR": paths["media-import"],
        "IMPORT_UPLOAD_DIR": paths["uploads"],
    }
    return paths


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _stage_table_exists(job: ImportJob) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_tables WHERE tablename = %s", [f"annotation_importrow_{job.pk}"])
        return cur.fetchone() is not None


def _import(world: World, project: Project, path: Path, fmt: str | None = None) -> ImportJob:
    job = import_create(
        actor=actor_for(world.users["ml"]), project=project, filename=path.name, path=path, fmt=fmt, enqueue=False
    )
    return run_import(job.pk)


def _refused(job: ImportJob, project: Project, dirs: dict[str, Path]) -> list[tuple[int | None, str | None, str]]:
    """The job failed, stored nothing anywhere, and says where: [(line, field, message)]."""
    assert job.status == ImportStatus.FAILED, job.errors
    assert (job.created_count, job.updated_count) == (0, 0)
    assert not Item.objects.filter(project=project).exists()
    assert _files(dirs["media"]) == [], "a failed import left images behind"
    assert not _stage_table_exists(job)
    assert job.errors and all(e["message"] for e in job.errors)
    return [(e["line"], e.get("field"), e["message"]) for e in job.errors]


def _cases(*rows: tuple[Any, ...]) -> list[Any]:
    """Parameters named by their first value (not by the bytes that follow it)."""
    return [pytest.param(*row, id=str(row[0])) for row in rows]


def _jsonl(*records: object) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def _data_uri(data: bytes, kind: str = "image/png") -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


# --- deep nesting ------------------------------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("name", "content"),
    _cases(
        ("deep.jsonl", _jsonl({"id": "ok", "text": "x"}, b'{"id": "d", "metadata": {"a": ' + DEEP + b"}}")),
        ("deep.json", b'[{"id": "ok", "text": "x"},\n {"id": "d", "metadata": {"a": ' + DEEP + b"}}]"),
    ),
)
def test_json_nested_100k_levels_is_a_clear_error(world, project, dirs, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    errors = _refused(_import(world, project, path), project, dirs)
    assert errors == [(2, None, "invalid JSON: nested too deeply")]


def test_nesting_the_database_could_not_hash_is_refused_by_field(world, project, dirs, tmp_path):
    # 40 levels parse (orjson allows 1024) but would fail hashing (orjson writes 255) and bloat jsonb.
    nested: Any = "leaf"
    for _ in range(40):
        nested = {"k": nested}
    path = tmp_path / "meta.jsonl"
    path.write_bytes(_jsonl({"id": "a", "text": "x"}, {"id": "b", "text": "x", "metadata": nested}))
    errors = _refused(_import(world, project, path), project, dirs)
    assert errors == [(2, "metadata", "nested deeper than 32 levels")]


def test_api_json_body_nested_100k_levels_is_a_400(world):
    before = Project.objects.count()
    body = b'{"name": "n", "kind": "single_label", "label_schema": ' + DEEP + b"}"
    response = world.client("admin").post("/api/v1/projects", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "nested too deeply" in response.json()["error"]["message"] + str(response.json()["error"]["details"])
    assert Project.objects.count() == before


# --- huge lines and oversized files --------------------------------------------------------------------


def _sparse_line_file(path: Path, *, head: bytes, tail: bytes, size: int = 50 * MIB) -> Path:
    """``head``, then zeros up to ``size`` bytes (a hole: no disk, no write time), then ``tail``.
    A JSON array is parsed, not split into lines, and zeros are invalid in it: its long element is
    real characters, just past the limit."""
    with open(path, "wb") as fh:
        fh.write(head)
        if path.suffix == ".json":
            fh.write(b"x" * (MAX_LINE_BYTES + MIB))
        else:
            fh.seek(size)
        fh.write(tail)
    return path


@pytest.mark.parametrize(
    ("fmt", "head", "tail", "expected"),
    _cases(
        ("jsonl", b'{"id": "big", "text": "', b'"}\n{"id": "ok", "text": "fine"}\n',
         (1, None, f"the line is longer than {MAX_LINE_BYTES:,} bytes")),
        ("json", b'[{"id": "big", "text": "', b'"}]\n',
         (1, None, f"an array element is longer than {MAX_LINE_BYTES:,} bytes")),
        ("csv", b"id,text\nbig,", b"\nok,fine\n", (2, None, f"the line is longer than {MAX_LINE_BYTES:,} bytes")),
    ),
)
def test_a_50mb_line_is_refused_reading_at_most_the_limit(world, project, dirs, tmp_path, fmt, head, tail, expected):
    path = _sparse_line_file(tmp_path / f"huge.{fmt}", head=head, tail=tail)
    tracemalloc.start()
    try:
        with open(path, "rb") as fh:
            parsed = list(iter_records(fh, fmt))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_LINE_BYTES, f"parsing held {peak / MIB:.0f} MiB of a 50 MiB line"
    assert (parsed[0][0], parsed[0][1].message) == (expected[0], expected[2])
    assert _refused(_import(world, project, path), project, dirs)[0] == expected


def test_a_json_syntax_error_before_a_huge_element_is_named_at_once(world, project, dirs, tmp_path):
    head = b'[{"id": "a", "text": "x"},\n{"id": "b" "text": "y"},\n{"id": "c", "text": "'
    path = _sparse_line_file(tmp_path / "early.json", head=head, tail=b'"}]')
    tracemalloc.start()
    try:
        with open(path, "rb") as fh:
            parsed = list(iter_records(fh, "json"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MIB, "the parser read on past a syntax error"
    assert (parsed[-1][0], parsed[-1][1].message) == (2, "invalid JSON: Expecting ',' delimiter")
    errors = _refused(_import(world, project, path), project, dirs)
    assert errors == [(2, None, "invalid JSON: Expecting ',' delimiter")]


def test_an_upload_over_the_size_limit_is_refused_and_not_kept(world, project, dirs, settings):
    settings.QUORUM = {**settings.QUORUM, "IMPORT_MAX_BYTES": MIB}
    content = _jsonl(*({"id": f"r{i}", "text": "x" * 1000} for i in range(1100)))  # ~1.1 MiB
    upload = SimpleUploadedFile("items.jsonl", content, content_type="application/x-ndjson")
    response = world.client("ml").post(f"/api/v1/projects/{project.pk}/imports", {"file": upload}, format="multipart")
    assert response.status_code == 400, response.content
    detail = response.json()["error"]["details"]
    assert detail == [{"field": "file", "message": detail[0]["message"]}]
    assert f"larger than {MIB:,} bytes" in detail[0]["message"]
    assert not ImportJob.objects.exists() and _files(dirs["uploads"]) == []


def test_an_oversized_json_body_is_refused_before_it_is_parsed(world):
    body = b'{"name": "' + b"x" * (11 * MIB) + b'", "kind": "single_label", "label_schema": {}}'
    response = world.client("admin").post("/api/v1/projects", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_large" and "larger than" in response.json()["error"]["message"]


# --- encodings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    _cases(
        ("bad.jsonl", _jsonl({"id": "a", "text": "ok"}, b'{"id": "b", "text": "caf\xe9"}'),
         [(2, None, "not UTF-8: invalid continuation byte (byte 25 of the line)")]),
        ("bad.csv", b"id,text\na,ok\nb,caf\xe9\n", [(3, None, "not UTF-8: invalid continuation byte")]),
        ("bom16.jsonl", '{"id": "a", "text": "x"}\n'.encode("utf-16"),
         [(1, None, "the file is UTF-16 text (byte-order mark); save it as UTF-8")]),
        ("bom16.json", '[{"id": "a", "text": "x"}]'.encode("utf-16"),
         [(1, None, "the file is UTF-16 text (byte-order mark); save it as UTF-8")]),
        ("bom16.csv", "id,text\na,x\n".encode("utf-16"),
         [(1, None, "the file is UTF-16 text (byte-order mark); save it as UTF-8")]),
        ("nobom16.jsonl", '{"id": "a", "text": "x"}\n'.encode("utf-16-le"),
         [(1, None, "the file is not UTF-8 text (NUL bytes at its start: UTF-16?); save it as UTF-8")]),
        # NUL and lone surrogates are valid JSON escapes that PostgreSQL cannot store: refused by field.
        ("nul.jsonl", _jsonl({"id": "a\u0000", "text": "x"}, {"id": "b", "text": "x\u0000y"},
                             {"id": "c", "text": "x", "metadata": {"k\u0000": 1}},
                             {"id": "d", "text": "x", "metadata": {"k": ["ok", "v\u0000"]}},
                             {"id": "e", "text": "x", "source_system": "s\u0000"}),
         [(1, "id", "contains a NUL character"), (2, "text", "contains a NUL character"),
          (3, "metadata.k\\x00", "contains a NUL character"), (4, "metadata.k[1]", "contains a NUL character"),
          (5, "source_system", "contains a NUL character")]),
        ("nul.csv", b"id,text,metadata.note\na,x,n\x00b\n", [(2, "metadata.note", "contains a NUL character")]),
        ("surrogate.json", b'[{"id": "a", "text": "x"},\n{"id": "b", "text": "\\ud800 lone"}]',
         [(2, "text", "contains a lone surrogate (\\ud800-\\udfff), which is not Unicode text")]),
        ("bigint.json", b'[{"id": 1' + b"0" * 5000 + b', "text": "x"}]', None),
    ),
)
def test_bad_encodings_name_line_and_field(world, project, dirs, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    errors = _refused(_import(world, project, path), project, dirs)
    if expected is None:
        assert errors[0][0] == 1 and errors[0][2].startswith("invalid JSON:"), errors
    else:
        pairs = zip(errors, expected, strict=True)
        assert [(line, field, msg[: len(exp)]) for (line, field, msg), (_, _, exp) in pairs] == expected


@pytest.mark.parametrize(
    ("name", "content"),
    _cases(
        ("bom8.jsonl", b"\xef\xbb\xbf" + _jsonl({"id": "a", "text": "x"})),
        ("bom8.json", b'\xef\xbb\xbf[{"id": "a", "text": "x"}]'),
        ("bom8.csv", b"\xef\xbb\xbfid,text\na,x\n"),
    ),
)
def test_a_utf8_byte_order_mark_is_accepted(world, project, dirs, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    job = _import(world, project, path)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert list(Item.objects.filter(project=project).values_list("external_id", flat=True)) == ["a"]


# --- bombs ---------------------------------------------------------------------------------------------


def test_a_pixel_bomb_is_refused_and_no_image_is_kept(world, project, dirs, tmp_path):
    good = encode(noise(), "PNG")
    path = tmp_path / "bomb.jsonl"
    path.write_bytes(
        _jsonl(
            {"id": "fine", "media": _data_uri(good)},  # processed, staged, then dropped with the import
            {"id": "bomb", "media": _data_uri(crafted_png(50_000, 50_000))},
        )
    )
    errors = _refused(_import(world, project, path), project, dirs)
    assert [(line, field) for line, field, _ in errors] == [(2, "media")]
    assert "too many pixels" in errors[0][2] and "2500000000" in errors[0][2].replace(",", "")
    # The control: the same good image alone is stored (so the check above could fail).
    path.write_bytes(_jsonl({"id": "fine", "media": _data_uri(good)}))
    assert _import(world, project, path).status == ImportStatus.SUCCEEDED
    assert len(_files(dirs["media"])) == 1


def test_archives_are_never_inflated(world, project, dirs, tmp_path):
    bomb = gzip.compress(b"\x00" * (64 * MIB), compresslevel=9)  # 64 MiB of zeros in ~64 KiB
    assert len(bomb) < 200_000
    # Named like an import: read as the (binary) text it is, never decompressed.
    path = tmp_path / "items.jsonl"
    path.write_bytes(bomb)
    tracemalloc.start()
    try:
        job = _import(world, project, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * MIB
    assert _refused(job, project, dirs)[0][0] == 1
    # Named as an archive: not a format the import reads.
    with pytest.raises(ValueError, match="cannot tell the format"):
        _import(world, project, tmp_path / "items.jsonl.gz")
    # As an image: refused by its signature.
    zip_bomb = b"PK\x03\x04" + b"\x14\x00" * 13 + b"\x00" * 64
    path.write_bytes(_jsonl({"id": "g", "media": _data_uri(bomb)}, {"id": "z", "media": _data_uri(zip_bomb)}))
    errors = _refused(_import(world, project, path), project, dirs)
    assert [(line, field) for line, field, _ in errors] == [(1, "media"), (2, "media")]
    assert "gzip" in errors[0][2] and "ZIP files are not accepted" in errors[1][2]


def test_a_gzip_encoded_api_body_is_not_inflated(world):
    body = gzip.compress(json.dumps({"name": "n", "kind": "single_label", "label_schema": {}}).encode())
    response = world.client("admin").post(
        "/api/v1/projects", body, content_type="application/json", headers={"content-encoding": "gzip"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


# --- polyglots and SVG ---------------------------------------------------------------------------------

HTML = b"<html><body><script>fetch('/steal?c='+document.cookie)</script></body></html>"
ZIP = b"PK\x03\x04" + b"\x14\x00" * 20 + b"evil.html<script>alert(document.cookie)</script>"


def _gif() -> bytes:
    return encode(noise().convert("P"), "GIF")


def _gif_that_is_javascript() -> bytes:
    """``GIF89a/*<picture>*/=1;alert(...)``: a 10799-pixel-wide GIF (width bytes ``/*``) that a
    browser would also run as a script, were it served as one."""
    data = encode(Image.new("P", (0x2A2F, 1)), "GIF")
    assert data[6:8] == b"/*"
    return data + b"*/=1;alert(document.domain);" + HTML


@pytest.mark.parametrize(
    ("kind", "data"),
    _cases(
        ("gif+html", _gif() + HTML),
        ("gif+js", _gif_that_is_javascript()),
        ("jpeg+zip", encode(noise(), "JPEG") + ZIP),
        ("png+html", encode(noise(), "PNG") + HTML),
    ),
)
def test_polyglot_images_are_served_only_as_clean_pictures(world, project, dirs, tmp_path, kind, data):
    path = tmp_path / "poly.jsonl"
    path.write_bytes(_jsonl({"id": "p", "media": _data_uri(data, "image/gif")}))
    job = _import(world, project, path)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    stored = _files(dirs["media"])
    assert len(stored) == 1
    body = stored[0].read_bytes()
    for marker in (b"<script", b"<html", b"PK\x03\x04", b"alert("):
        assert marker not in body
    item = Item.objects.get(project=project, external_id="p")
    response = world.client("off_annotator").get(f"/api/v1/items/{item.pk}/media")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/png", "image/jpeg")
    assert response["X-Content-Type-Options"] == "nosniff"
    served = b"".join(response.streaming_content)
    assert served == body
    with Image.open(io.BytesIO(served)) as picture:
        picture.verify()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>'


def test_svg_with_script_is_refused_however_it_is_named(world, project, dirs, tmp_path):
    (dirs["media-import"] / "cat.png").write_bytes(SVG)  # an SVG by content, a PNG by name
    path = tmp_path / "svg.jsonl"
    path.write_bytes(
        _jsonl(
            {"id": "a", "media": _data_uri(SVG, "image/svg+xml")},
            {"id": "b", "media": "cat.png"},
            {"id": "c", "media": _data_uri(b"\xef\xbb\xbf<?xml version='1.0'?>" + SVG, "image/png")},
        )
    )
    errors = _refused(_import(world, project, path), project, dirs)
    assert [(line, field) for line, field, _ in errors] == [(1, "media"), (2, "media"), (3, "media")]
    assert all("SVG images are not accepted" in message for _, _, message in errors)


def test_only_processed_png_and_jpeg_are_ever_served(world, project, dirs):
    name = "ab" * 32
    (dirs["media"] / "ab").mkdir()
    (dirs["media"] / "ab" / f"{name}.svg").write_bytes(SVG)  # planted beside the stored images
    item = Item.objects.create(project=project, external_id="planted", media=f"quorum:{name}.svg", content_hash="x")
    response = world.client("admin").get(f"/api/v1/items/{item.pk}/media")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


# --- path traversal ------------------------------------------------------------------------------------


def test_media_names_cannot_leave_the_media_import_folder(world, project, dirs, tmp_path):
    outside = tmp_path / "secret.png"
    outside.write_bytes(encode(noise(), "PNG"))
    (dirs["media-import"] / "link.png").symlink_to(outside)
    path = tmp_path / "trav.jsonl"
    path.write_bytes(
        _jsonl(
            {"id": "a", "media": "../secret.png"},
            {"id": "b", "media": str(outside)},
            {"id": "c", "media": "link.png"},
            {"id": "d", "media": "sub/../../secret.png"},
            {"id": "e", "media": "quorum:../../secret.png"},
        )
    )
    errors = _refused(_import(world, project, path), project, dirs)
    assert [(line, field) for line, field, _ in errors] == [(n, "media") for n in range(1, 6)]
    assert all("outside the media import folder" in m for _, _, m in errors[:4])
    assert "unknown stored media" in errors[4][2]


@pytest.mark.parametrize("filename", ["../../../../tmp/evil.jsonl", "..\\..\\evil.jsonl", "/etc/cron.d/evil.jsonl"])
def test_upload_names_cannot_place_files(world, project, dirs, tmp_path, filename):
    upload = SimpleUploadedFile(filename, _jsonl({"id": "a", "text": "x"}))
    response = world.client("ml").post(f"/api/v1/projects/{project.pk}/imports", {"file": upload}, format="multipart")
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert "/" not in job.source_name and "\\" not in job.source_name and job.source_name.endswith("evil.jsonl")
    assert Path(job.file_path).parent == dirs["uploads"].resolve() or Path(job.file_path).parent == dirs["uploads"]
    assert not (tmp_path.parent / "evil.jsonl").exists() and not Path("/tmp/evil.jsonl").exists()


def test_api_json_strings_postgres_cannot_store_are_a_400(world):
    client = world.client("admin")
    before = Project.objects.count()
    for bad in ("a\u0000b", "\ud800"):
        schema = {"labels": [{"value": "billing"}, {"value": bad}]}
        body = json.dumps({"name": "n", "kind": "single_label", "label_schema": schema})  # \u escapes, valid JSON
        response = client.post("/api/v1/projects", body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert "label_schema" in response.content.decode() or "NUL" in response.content.decode()
    assert Project.objects.count() == before
