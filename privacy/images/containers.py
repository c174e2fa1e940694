"""Tell an upload's format by its signature and find where the image ends, before any decoding."""

from __future__ import annotations

import re
from typing import NoReturn

MIB = 1024 * 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# In JPEG entropy-coded data a 0xFF is followed by 0x00 (stuffing) or a restart marker; anything
# else is the next marker. One regex scan instead of a Python loop over every 0xFF.
_JPEG_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")
_OTHER_FORMATS: tuple[tuple[bytes, int, str], ...] = (
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"BM", 0, "BMP"),
    (b"\x00\x00\x01\x00", 0, "ICO"),
    (b"%PDF", 0, "PDF"),
    (b"8BPS", 0, "PSD"),
    (b"ftyp", 4, "HEIF/AVIF"),
    (b"\x00\x00\x00\x0cjP  ", 0, "JPEG 2000"),
    (b"\xff\x0a", 0, "JPEG XL"),
    (b"\x1f\x8b", 0, "gzip (SVGZ?)"),
    (b"PK\x03\x04", 0, "ZIP"),
)


class ImageRejected(Exception):
    """The upload is not an acceptable image; ``reason`` says why in words a user can act on."""

    def __init__(self, reason: str, *, code: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code  # too_large, too_many_pixels, svg, markup, unsupported, truncated, corrupt, empty


def sniff_and_measure(data: bytes, *, max_bytes: int) -> tuple[str, int]:
    """The format told by the signature, and where the image ends (trailing bytes start)."""
    if not data:
        raise ImageRejected("the file is empty", code="empty")
    if len(data) > max_bytes:
        raise ImageRejected(
            f"the file is {len(data) / MIB:.1f} MiB; images may be at most {max_bytes / MIB:.1f} MiB", code="too_large"
        )
    if data.startswith(b"\xff\xd8\xff"):
        fmt, end = "JPEG", _jpeg_end(data)
    elif data.startswith(_PNG_SIGNATURE):
        fmt, end = "PNG", _png_end(data)
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        fmt, end = "GIF", _gif_end(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        fmt, end = "WEBP", _webp_end(data)
    else:
        _reject_unknown(data)
    if end is None:
        raise ImageRejected(f"the {fmt} file is truncated or corrupt: its structure ends early", code="truncated")
    return fmt, end


def _reject_unknown(data: bytes) -> NoReturn:
    head = data[:4096].lstrip(b"\xef\xbb\xbf\xfe\xff\x00 \t\r\n").lower().replace(b"\x00", b"")
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in head):
        raise ImageRejected("SVG images are not accepted: they can carry scripts; upload a PNG or JPEG", code="svg")
    if head.startswith(b"<"):
        raise ImageRejected("the file is HTML/XML markup, not an image", code="markup")
    for magic, offset, name in _OTHER_FORMATS:
        if data[offset : offset + len(magic)] == magic:
            raise ImageRejected(f"{name} files are not accepted; upload JPEG, PNG, GIF or WebP", code="unsupported")
    raise ImageRejected("the file is not an image in an accepted format (JPEG, PNG, GIF, WebP)", code="unsupported")


def _jpeg_end(data: bytes) -> int | None:
    n, pos = len(data), 2
    while pos < n:
        if data[pos] != 0xFF:  # stray bytes between segments: decoders skip to the next marker
            pos = data.find(b"\xff", pos)
            if pos < 0:
                return None
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            return None
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return pos
        if 0xD0 <= marker <= 0xD8 or marker in (0x00, 0x01):  # no length field
            continue
        if pos + 2 > n:
            return None
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > n:
            return None
        pos += length
        if marker == 0xDA:  # SOS: entropy-coded data follows until the next real marker
            found = _JPEG_NEXT_MARKER.search(data, pos)
            if found is None:
                return None
            pos = found.start()
    return None


def _png_end(data: bytes) -> int | None:
    n, pos = len(data), len(_PNG_SIGNATURE)
    while pos + 12 <= n:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if pos > n:
            return None
        if kind == b"IEND":
            return pos
    return None


def _gif_end(data: bytes) -> int | None:
    n = len(data)
    if n < 13:
        return None
    pos = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    frames = 0
    while pos < n:
        block = data[pos]
        if block == 0x3B:  # trailer
            return pos + 1
        if block == 0x21:  # extension: label, then sub-blocks
            after = _skip_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image descriptor, optional local colour table, LZW code size, sub-blocks
            if pos + 10 > n:
                after = None
            else:
                flags = data[pos + 9]
                table = 3 << ((flags & 7) + 1) if flags & 0x80 else 0
                after = _skip_sub_blocks(data, pos + 10 + table + 1)
        else:  # not a GIF block: the picture stream is over, the rest is trailing
            return pos if frames else None
        if after is None:  # cut inside a block: fatal only if the first frame is incomplete
            return n if frames else None
        frames += block == 0x2C
        pos = after
    return n if frames else None  # no trailer after complete frames: common and harmless


def _skip_sub_blocks(data: bytes, pos: int) -> int | None:
    n = len(data)
    while pos < n:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos if pos <= n else None
    return None


def _webp_end(data: bytes) -> int | None:
    end = 8 + int.from_bytes(data[4:8], "little")
    return end if end <= len(data) and end >= 12 else None
