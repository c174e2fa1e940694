"""Builders for the image-privacy tests: pictures with metadata, crafted headers, structure readers."""

from __future__ import annotations

import importlib.util
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

# Public-domain portraits that some packages ship inside their wheels (nothing is downloaded).
FACE_PHOTOS = (
    ("skimage", "data/astronaut.png"),
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
)


def face_photo() -> tuple[str, bytes] | None:
    """(name, bytes) of the first installed face photo, without importing its package."""
    for package, relative in FACE_PHOTOS:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        path = Path(spec.origin).parent / relative
        if path.is_file():
            return f"{package}/{relative}", path.read_bytes()
    return None


def noise(width: int = 120, height: int = 90, mode: str = "RGB", seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    channels = len(mode)
    return Image.fromarray(rng.integers(0, 256, (height, width, channels), dtype=np.uint8).squeeze())


def encode(picture: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **params)
    return out.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def crafted_png(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG that *declares* ``width`` x ``height`` grey pixels (a bomb's header)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def png_chunk_types(data: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    assert pos == len(data), "chunks do not end exactly at the end of the file"
    return kinds


def jpeg_markers(data: bytes) -> list[int]:
    """Markers of the segments before the first scan (APPn, COM, DQT, SOF, ...)."""
    markers, pos = [], 2
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return markers


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB")).astype(np.int16)
