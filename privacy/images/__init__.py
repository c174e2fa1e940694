"""Image privacy engine: strip metadata, blur faces and marked regions, refuse hostile files (no Django).

Choices, and why:

- **Re-encode from pixels, always.** The only bytes that leave :func:`process_image` are a fresh
  JPEG or PNG that Pillow wrote from a bare pixel array: no EXIF (GPS, camera serials), XMP, IPTC,
  ICC profile, JPEG comments, PNG text chunks, embedded thumbnails, MPF secondary pictures
  (depth maps, gain maps), motion-photo videos or anything appended after the image. Stripping
  metadata field by field is a deny-list that misses the next field; re-encoding is an allow-list.
  EXIF orientation is applied first (so the picture stays upright once the tag is gone), and an
  embedded ICC profile is converted to sRGB first (so colours survive the profile's removal).
  Fully transparent pixels get their colour zeroed: an "erased" area of a PNG keeps its RGB values
  under alpha 0, and that hidden picture must not reach a vendor.
- **Sniff the magic bytes, then parse only the structure.** Only JPEG, PNG, GIF (first frame) and
  WebP are accepted, told by their signatures, never by a file name or a declared content type.
  SVG is refused by name (it is XML that can carry scripts and external references); HTML or any
  other markup is refused as "not an image". Each accepted format's container is walked (JPEG
  markers, PNG chunks, GIF blocks, the RIFF size) to find where the image ends: a missing end is
  *truncated* and refused whatever Pillow's global ``LOAD_TRUNCATED_IMAGES`` says.
- **Polyglots are neutralized, not refused.** Bytes after the image's end marker (a ZIP, HTML, a
  script, a second picture) are cut off before Pillow even sees the file and counted in
  ``dropped_trailing_bytes`` so the caller can audit them. Refusing them would refuse ordinary
  phone pictures (Pixel motion photos append an MP4, Samsung appends a trailer, MPF appends depth
  maps), and re-encoding makes any payload, appended or hidden in a comment or metadata segment,
  unreachable anyway. Markup *at the start* of a file is refused: such a file is not one of the
  accepted formats. The caller must still never serve the *original* bytes inline.
- **Bounded work before decoding.** The byte size is checked first, then the pixel count that the
  header declares (``Image.open`` reads only the header) against this call's ``max_pixels``, so a
  50,000 x 50,000 "bomb" is refused before a single pixel is allocated, independently of Pillow's
  global ``MAX_IMAGE_PIXELS``.
- **Faces: OpenCV Haar cascades** (two frontal ones, and the profile one both ways) from
  opencv-python-headless 4.x (5.0 dropped them), imported lazily, run on a grey copy scaled to at
  most ``DETECT_MAX_SIDE`` pixels (about 1-4 s a photo on one busy core; it is import-time work
  for a worker, not a web request). They need no model download and are deterministic. They
  miss faces (small, rotated, occluded): automatic blurring is a first pass, and
  reviewer-marked ``regions`` close the gap. A face box is enlarged by
  ``FACE_MARGIN`` before blurring to cover hair, ears and chin.
- **Blurring is pixelation to a coarse grid, then a Gaussian.** A box becomes at most
  ``OBSCURE_CELLS`` cells across its longer side (cells at least ``OBSCURE_MIN_CELL`` pixels), so
  what remains is a handful of average colours; the Gaussian only smooths the blocks. A plain
  Gaussian with a small radius can be partly inverted; a few cell averages cannot.

Coordinates (``regions`` in, ``faces`` out) are ``(x, y, width, height)`` in the *upright*
picture, i.e. the output's pixel grid, which is what a reviewer sees.
"""

from __future__ import annotations

import hashlib
import io
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import SupportsIndex

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from .containers import MIB, ImageRejected, sniff_and_measure
from .faces import DETECT_MAX_SIDE, Box, clip, detect_faces

IMAGE_ENGINE_VERSION = 1  # bump when the same input gives other output: stored images may need re-processing
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 25 * MIB
JPEG_QUALITY = 90
FACE_MARGIN = 0.25
OBSCURE_CELLS = 8
OBSCURE_MIN_CELL = 8


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes = field(repr=False)
    content_type: str
    width: int
    height: int
    faces: tuple[Box, ...]  # as detected, before FACE_MARGIN
    regions: tuple[Box, ...]
    sha256: str
    source_format: str  # JPEG, PNG, GIF or WEBP
    dropped_trailing_bytes: int = 0


def process_image(
    data: bytes,
    *,
    regions: Sequence[Sequence[SupportsIndex]] = (),
    blur_faces: bool = True,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ProcessedImage:
    """Return ``data`` re-encoded without metadata, faces and ``regions`` blurred.

    Raises :class:`ImageRejected` for input that is not an acceptable image, ``ValueError`` for a
    malformed region, ``RuntimeError`` when ``blur_faces`` is asked for and OpenCV is missing
    (never a silent "no faces").
    """
    wanted = _check_region_shapes(regions)
    source_format, end = sniff_and_measure(data, max_bytes=max_bytes)
    picture = _decode(data[:end], source_format, max_pixels=max_pixels)
    width, height = picture.size
    _check_region_bounds(wanted, width, height)

    pixels = np.array(picture)  # a bare array: nothing of the source's info/metadata survives it
    faces = detect_faces(pixels) if blur_faces else ()
    has_alpha = picture.mode == "RGBA"
    clean = Image.fromarray(pixels)
    for box in (*(_enlarge(face, width, height) for face in faces), *wanted):
        obscure(clean, box)
    if has_alpha:
        clean = _clear_hidden_colour(clean)

    out = io.BytesIO()
    if has_alpha or source_format in ("PNG", "GIF"):
        clean.save(out, "PNG", compress_level=6)
        content_type = "image/png"
    else:
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type = "image/jpeg"
    encoded = out.getvalue()
    return ProcessedImage(
        data=encoded,
        content_type=content_type,
        width=width,
        height=height,
        faces=faces,
        regions=wanted,
        sha256=hashlib.sha256(encoded).hexdigest(),
        source_format=source_format,
        dropped_trailing_bytes=len(data) - end,
    )


def obscure(picture: Image.Image, box: Box) -> None:
    """Pixelate ``box`` of ``picture`` in place to a coarse grid, then smooth it."""
    x, y, w, h = box
    longer = max(w, h)
    cell = max(math.ceil(longer / OBSCURE_CELLS), min(longer, OBSCURE_MIN_CELL))
    patch = picture.crop((x, y, x + w, y + h))
    coarse = patch.resize((max(1, round(w / cell)), max(1, round(h / cell))), Image.Resampling.BOX)
    blocky = coarse.resize((w, h), Image.Resampling.NEAREST)
    picture.paste(blocky.filter(ImageFilter.GaussianBlur(cell / 2)), (x, y))


def _check_region_shapes(regions: Sequence[Sequence[SupportsIndex]]) -> tuple[Box, ...]:
    boxes: list[Box] = []
    for region in regions:
        try:
            if len(region) != 4 or any(isinstance(v, bool) for v in region):
                raise TypeError
            x, y, w, h = (operator.index(v) for v in region)
        except TypeError:
            raise ValueError(f"region {region!r}: expected four integers (x, y, width, height)") from None
        if w <= 0 or h <= 0:
            raise ValueError(f"region {region!r}: width and height must be positive")
        if x < 0 or y < 0:
            raise ValueError(f"region {region!r}: x and y must not be negative")
        boxes.append((x, y, w, h))
    return tuple(boxes)


def _check_region_bounds(boxes: tuple[Box, ...], width: int, height: int) -> None:
    for x, y, w, h in boxes:
        if x + w > width or y + h > height:
            raise ValueError(f"region {(x, y, w, h)!r} reaches outside the {width}×{height} image")


def _decode(data: bytes, fmt: str, *, max_pixels: int) -> Image.Image:
    """The first frame, upright, as RGB or RGBA in sRGB, refused if it declares too many pixels."""
    try:
        source = Image.open(io.BytesIO(data), formats=[fmt])  # reads the header only
    except Image.DecompressionBombError as e:
        raise ImageRejected(f"the image declares too many pixels ({e})", code="too_many_pixels") from e
    except Exception as e:
        raise ImageRejected(f"the {fmt} file is corrupt: {e}", code="corrupt") from e
    with source:
        width, height = source.size
        if width <= 0 or height <= 0:
            raise ImageRejected("the image has no pixels", code="corrupt")
        if width * height > max_pixels:
            raise ImageRejected(
                f"the image is {width}×{height} = {width * height:,} pixels; at most {max_pixels:,} are accepted",
                code="too_many_pixels",
            )
        try:
            source.load()  # first frame only
            upright = _upright(source)
            return _to_srgb(upright, icc=source.info.get("icc_profile"))
        except Exception as e:
            truncated = "truncated" in str(e)
            raise ImageRejected(
                f"the {fmt} file is {'truncated' if truncated else 'corrupt'}: {e}",
                code="truncated" if truncated else "corrupt",
            ) from e


def _upright(picture: Image.Image) -> Image.Image:
    try:
        turned = ImageOps.exif_transpose(picture)
    except Exception:  # a malformed EXIF block: it is dropped anyway, so show the pixels as stored
        return picture
    return turned if turned is not None else picture


def _to_srgb(picture: Image.Image, *, icc: object) -> Image.Image:
    if picture.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):  # 16-bit grey: keep the top byte
        picture = Image.fromarray((np.asarray(picture, dtype=np.uint32) >> 8).astype(np.uint8))
    mode = "RGBA" if picture.has_transparency_data else "RGB"
    if picture.mode not in ("RGB", "RGBA", "CMYK", "L"):  # palette, LA, ...: what a profile cannot take
        picture = picture.convert(mode)
    if isinstance(icc, bytes) and icc:
        from PIL import ImageCms

        try:
            converted = ImageCms.profileToProfile(
                picture,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode=mode,
            )
        except Exception:  # an unusable profile or one for another colour space: plain conversion
            converted = None
        if converted is not None:
            if mode == "RGBA" and picture.mode == "RGBA":
                converted.putalpha(picture.getchannel("A"))
            return converted
    return picture.convert(mode)


def _enlarge(box: Box, width: int, height: int) -> Box:
    x, y, w, h = box
    dx, dy = round(w * FACE_MARGIN), round(h * FACE_MARGIN)
    return clip(x - dx, y - dy, w + 2 * dx, h + 2 * dy, width, height)


def _clear_hidden_colour(picture: Image.Image) -> Image.Image:
    pixels = np.array(picture)
    pixels[pixels[..., 3] == 0, :3] = 0
    return Image.fromarray(pixels)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "DETECT_MAX_SIDE",
    "FACE_MARGIN",
    "IMAGE_ENGINE_VERSION",
    "JPEG_QUALITY",
    "MIB",
    "OBSCURE_CELLS",
    "OBSCURE_MIN_CELL",
    "Box",
    "ImageRejected",
    "ProcessedImage",
    "detect_faces",
    "obscure",
    "process_image",
]
