"""Hostile uploads: oversized, bombs, truncated, corrupt, SVG, markup, other formats, polyglots."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, PngImagePlugin

from privacy.images import MIB, ImageRejected, ProcessedImage, process_image

from .helpers import crafted_png, encode, noise, pixels, png_chunk_types


def _rejected(data: bytes, **params) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        process_image(data, blur_faces=False, **params)
    assert caught.value.reason == str(caught.value) and caught.value.reason
    return caught.value


def test_empty_and_oversized_payloads():
    assert _rejected(b"").code == "empty"
    big = encode(noise(), "PNG")
    error = _rejected(big, max_bytes=len(big) - 1)
    assert error.code == "too_large" and "MiB" in error.reason
    assert process_image(big, blur_faces=False, max_bytes=len(big)).width == 120
    assert _rejected(b"\x89PNG\r\n\x1a\n" + b"\x00" * (25 * MIB)).code == "too_large"  # the default cap


def test_declared_bomb_is_refused_before_decoding(monkeypatch):
    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", no_decoding)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # our limit holds without Pillow's global one
    bomb = crafted_png(50_000, 50_000)
    assert len(bomb) < 200
    error = _rejected(bomb)
    assert error.code == "too_many_pixels" and "2,500,000,000" in error.reason


def test_pillow_global_bomb_error_is_a_rejection_too():
    assert _rejected(crafted_png(50_000, 50_000)).code == "too_many_pixels"  # Pillow's own check fires first


def test_per_call_pixel_limit():
    source = encode(Image.new("L", (200, 200)), "PNG")  # compresses to almost nothing
    assert _rejected(source, max_pixels=39_999).code == "too_many_pixels"
    assert process_image(source, blur_faces=False, max_pixels=40_000).width == 200


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_truncated_files_are_refused(fmt, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # a global someone else may set
    source = encode(noise(mode="P" if fmt == "GIF" else "RGB").convert("P" if fmt == "GIF" else "RGB"), fmt)
    error = _rejected(source[: len(source) * 2 // 3])
    assert error.code == "truncated" and fmt in error.reason


def test_corrupt_png_is_refused():
    source = bytearray(encode(noise(), "PNG"))
    idat = source.index(b"IDAT")
    source[idat + 8 : idat + 200] = b"\x00" * 192  # the zlib stream is now garbage
    assert _rejected(bytes(source)).code == "corrupt"


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'\xef\xbb\xbf  <?xml version="1.0"?>\n<!DOCTYPE svg><svg onload="alert(1)"/>',
        '<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16"),
    ],
)
def test_svg_is_refused_by_name(svg):
    error = _rejected(svg)
    assert error.code == "svg" and "SVG" in error.reason


@pytest.mark.parametrize(
    "markup", [b"<!DOCTYPE html><html><script>alert(1)</script>", b"  <script>alert(1)</script>", b"<?php echo 1;"]
)
def test_markup_is_not_an_image(markup):
    error = _rejected(markup)
    assert error.code == "markup" and "not an image" in error.reason


@pytest.mark.parametrize(("fmt", "name"), [("TIFF", "TIFF"), ("BMP", "BMP"), ("PDF", "PDF")])
def test_other_formats_are_named(fmt, name):
    error = _rejected(encode(noise(), fmt))
    assert error.code == "unsupported" and name in error.reason


def test_random_bytes_are_not_an_image():
    assert _rejected(b"hello world, this is text").code == "unsupported"


ZIP_PAYLOAD = b"PK\x03\x04" + b"\x14\x00" * 20 + b"evil.html<script>alert(document.cookie)</script>"
HTML_PAYLOAD = b"<html><body><script>fetch('/steal?c='+document.cookie)</script></body></html>"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
@pytest.mark.parametrize("payload", [ZIP_PAYLOAD, HTML_PAYLOAD], ids=["zip", "html"])
def test_trailing_payload_is_cut_off_and_counted(fmt, payload):
    clean = encode(noise().convert("P") if fmt == "GIF" else noise(), fmt)
    result = process_image(clean + payload, blur_faces=False)
    assert result.dropped_trailing_bytes == len(payload)
    assert b"PK\x03\x04" not in result.data and b"<script" not in result.data and b"<html" not in result.data
    assert _ends_exactly(result)
    # The payload did not reach Pillow at all: same output as the clean file.
    assert result.data == process_image(clean, blur_faces=False).data


def test_payload_inside_metadata_does_not_survive():
    info = PngImagePlugin.PngInfo()
    info.add_text("x", HTML_PAYLOAD.decode())
    png = encode(noise(), "PNG", pnginfo=info)
    jpeg = encode(noise(), "JPEG", comment=HTML_PAYLOAD, xmp=HTML_PAYLOAD)
    for source in (png, jpeg):
        result = process_image(source, blur_faces=False)
        assert result.dropped_trailing_bytes == 0
        assert b"<script" not in result.data


def test_second_picture_after_the_first_is_dropped():
    first, second = encode(noise(seed=1), "JPEG"), encode(noise(seed=2), "JPEG")  # like an MPF/motion photo
    result = process_image(first + second, blur_faces=False)
    assert result.dropped_trailing_bytes == len(second)
    assert result.data == process_image(first, blur_faces=False).data


def _ends_exactly(result: ProcessedImage) -> bool:
    if result.content_type == "image/png":
        return png_chunk_types(result.data)[-1] == b"IEND"  # also asserts nothing follows IEND
    return result.data.endswith(b"\xff\xd9") and result.data.count(b"\xff\xd9") == 1


_SEEDS = {
    fmt: encode(noise(24, 16).convert("P") if fmt == "GIF" else noise(24, 16), fmt)
    for fmt in ("JPEG", "PNG", "GIF", "WEBP")
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(sorted(_SEEDS)),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
)
def test_mangled_images_are_processed_or_refused_never_crash(fmt, edits, cut):
    data = bytearray(_SEEDS[fmt])
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    try:
        result = process_image(bytes(data), blur_faces=False, max_pixels=1_000_000)
    except ImageRejected as e:
        assert e.reason
    else:
        assert result.width * result.height <= 1_000_000 and _ends_exactly(result)
        assert Image.open(io.BytesIO(result.data)).size == (result.width, result.height)


def test_multi_picture_jpeg_keeps_only_the_first_picture():
    first, second = Image.new("RGB", (64, 48), (250, 0, 0)), Image.new("RGB", (64, 48), (0, 0, 250))
    mpo = encode(first, "MPO", save_all=True, append_images=[second])
    with Image.open(io.BytesIO(mpo)) as original:
        assert original.format == "MPO" and original.n_frames == 2
    result = process_image(mpo, blur_faces=False)
    assert result.source_format == "JPEG" and result.dropped_trailing_bytes > 0
    assert b"MPF" not in result.data
    red = pixels(result.data).mean(axis=(0, 1))
    assert red[0] > 200 and red[2] < 50
