"""Metadata is gone after processing, the picture stays upright and keeps its colours."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from privacy.images import process_image

from .helpers import encode, jpeg_markers, noise, pixels, png_chunk_types

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Jane Doe"/></rdf:RDF></x:xmpmeta>'
)


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Model] = "Model-SN-123456"
    exif[ExifTags.Base.Artist] = "Jane Doe"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    return exif


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_jpeg_exif_gps_xmp_icc_and_comment_are_gone():
    source = encode(
        noise(),
        "JPEG",
        exif=_exif_with_gps(),
        xmp=XMP,
        icc_profile=_srgb_icc(),
        comment=b"shot at 12 Baker Street",
        quality=95,
    )
    with Image.open(io.BytesIO(source)) as original:  # the fixture really carries what we strip
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
        assert "icc_profile" in original.info and "xmp" in original.info and "comment" in original.info

    result = process_image(source, blur_faces=False)

    assert result.content_type == "image/jpeg" and result.source_format == "JPEG"
    with Image.open(io.BytesIO(result.data)) as cleaned:
        assert not cleaned.getexif()
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(cleaned.info)
    for secret in (b"Exif", b"SecretCam", b"SN-123456", b"Jane Doe", b"Baker", b"ICC_PROFILE", b"http://ns.adobe.com"):
        assert secret not in result.data
    # Only JFIF (APP0), quantization/huffman tables and the frame header: no APP1..APP15 or COM.
    assert set(jpeg_markers(result.data)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD, 0xDA}
    assert np.abs(pixels(result.data) - pixels(source)).mean() < 8  # same picture, re-encoded


def test_png_text_exif_icc_chunks_are_gone():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe")
    info.add_text("Comment", "home: 12 Baker Street", zip=True)
    info.add_itxt("Description", "phone +44 20 7946 0958", lang="en", tkey="Beschreibung")
    source = encode(noise(), "PNG", pnginfo=info, exif=_exif_with_gps(), icc_profile=_srgb_icc(), dpi=(300, 300))
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"pHYs"} <= set(png_chunk_types(source))

    result = process_image(source, blur_faces=False)

    assert result.content_type == "image/png"
    assert set(png_chunk_types(result.data)) == {b"IHDR", b"IDAT", b"IEND"}
    for secret in (b"Jane", b"Baker", b"7946", b"SecretCam"):
        assert secret not in result.data
    assert np.array_equal(pixels(result.data), pixels(source))  # lossless and an sRGB profile is identity


def test_exif_orientation_is_applied_before_stripping():
    stored = Image.new("RGB", (40, 20), (255, 0, 0))
    stored.paste((0, 0, 255), (20, 0, 40, 20))  # left half red, right half blue, as stored
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # viewers rotate 90° clockwise
    source = encode(stored, "JPEG", exif=exif, quality=95)

    result = process_image(source, blur_faces=False)

    assert (result.width, result.height) == (20, 40)
    upright = pixels(result.data)
    assert upright.shape[:2] == (40, 20)
    top, bottom = upright[:15].mean(axis=(0, 1)), upright[25:].mean(axis=(0, 1))
    assert top[0] > 200 and top[2] < 50  # the stored left (red) is now on top
    assert bottom[2] > 200 and bottom[0] < 50
    with Image.open(io.BytesIO(result.data)) as cleaned:
        assert ExifTags.Base.Orientation not in cleaned.getexif()  # no tag left to rotate it twice


def test_fully_transparent_pixels_lose_their_hidden_colour():
    picture = Image.new("RGBA", (30, 30), (10, 20, 30, 255))
    picture.paste((200, 100, 50, 0), (0, 0, 15, 30))  # "erased": invisible, but the colour is stored
    result = process_image(encode(picture, "PNG"), blur_faces=False)
    with Image.open(io.BytesIO(result.data)) as cleaned:
        out = np.asarray(cleaned)
    assert cleaned.mode == "RGBA"
    assert (out[:, :15] == 0).all()
    assert (out[:, 15:] == (10, 20, 30, 255)).all()


def test_gif_keeps_first_frame_as_png():
    frames = [Image.new("P", (16, 16), 0), Image.new("P", (16, 16), 1)]
    for frame in frames:
        frame.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], comment=b"Jane Doe")
    result = process_image(buffer.getvalue(), blur_faces=False)
    assert (result.content_type, result.source_format) == ("image/png", "GIF")
    assert (pixels(result.data) == (255, 0, 0)).all()
    assert b"Jane" not in result.data


@pytest.mark.parametrize(("mode", "expected"), [("RGB", "image/jpeg"), ("RGBA", "image/png")])
def test_webp_becomes_jpeg_or_png_with_alpha(mode, expected):
    source = encode(noise(mode=mode), "WEBP", lossless=True, exif=_exif_with_gps())
    result = process_image(source, blur_faces=False)
    assert result.content_type == expected and result.source_format == "WEBP"
    assert b"SecretCam" not in result.data


def test_cmyk_jpeg_becomes_rgb():
    source = encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG", quality=95)  # red in CMYK
    result = process_image(source, blur_faces=False)
    red = pixels(result.data).mean(axis=(0, 1))
    assert red[0] > 200 and red[1] < 60 and red[2] < 60


def test_sixteen_bit_grey_png_keeps_its_brightness():
    grey = Image.fromarray(np.full((10, 10), 32768, dtype=np.uint16))
    result = process_image(encode(grey, "PNG"), blur_faces=False)
    assert abs(pixels(result.data).mean() - 128) <= 1


def test_output_is_deterministic_and_hashed():
    import hashlib

    source = encode(noise(), "JPEG", exif=_exif_with_gps())
    first, second = process_image(source, blur_faces=False), process_image(source, blur_faces=False)
    assert first.data == second.data
    assert first.sha256 == hashlib.sha256(first.data).hexdigest()
    assert repr(first).count("data=") == 0  # megabytes of bytes stay out of logs
