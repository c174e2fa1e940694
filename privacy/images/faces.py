"""Face detection with OpenCV's Haar cascades (opencv-python-headless 4.x), imported lazily."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

DETECT_MAX_SIDE = 1280
MIN_FACE_SIDE = 20  # pixels, in the picture scaled to DETECT_MAX_SIDE

Box = tuple[int, int, int, int]  # x, y, width, height

_THREAD = threading.local()
_CASCADES: tuple[tuple[str, int, bool], ...] = (
    # (file in cv2.data.haarcascades, minNeighbors, run on the mirrored picture). Two frontal
    # cascades because each misses faces the other finds; recall matters more than time here.
    ("haarcascade_frontalface_default.xml", 5, False),
    ("haarcascade_frontalface_alt2.xml", 3, False),
    ("haarcascade_profileface.xml", 4, False),
    ("haarcascade_profileface.xml", 4, True),  # the profile cascade only knows faces looking one way
)


class _Cascade(Protocol):
    """The part of ``cv2.CascadeClassifier`` used here (typed by hand: OpenCV 5 dropped the class)."""

    def empty(self) -> bool: ...

    def detectMultiScale(  # noqa: N802 - OpenCV's names, here and below
        self,
        image: NDArray[Any],
        *,
        scaleFactor: float,  # noqa: N803
        minNeighbors: int,  # noqa: N803
        minSize: tuple[int, int],  # noqa: N803
    ) -> Sequence[Sequence[int]]: ...


def detect_faces(pixels: NDArray[np.uint8]) -> tuple[Box, ...]:
    """Face boxes ``(x, y, w, h)`` in an RGB(A) array, largest first, overlaps merged."""
    try:
        import cv2
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise RuntimeError("face blurring needs opencv-python-headless (cv2), which is not installed") from e

    height, width = pixels.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(width, height))
    gray = cv2.cvtColor(np.ascontiguousarray(pixels[..., :3]), cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    min_side = MIN_FACE_SIDE
    if min(gray.shape) < min_side:
        return ()
    # No global histogram equalization: Haar features are variance-normalized per window already,
    # and a large flat background skews a global equalization enough to lose real faces.
    mirrored = cv2.flip(gray, 1)
    found: list[Box] = []
    for name, neighbours, flip in _CASCADES:
        image = mirrored if flip else gray
        rects = _cascade(name).detectMultiScale(
            image, scaleFactor=1.1, minNeighbors=neighbours, minSize=(min_side, min_side)
        )
        for rx, ry, rw, rh in rects:
            x = image.shape[1] - int(rx) - int(rw) if flip else int(rx)
            found.append(
                clip(round(x / scale), round(int(ry) / scale), round(rw / scale), round(rh / scale), width, height)
            )
    return _merge(found)


def _cascade(name: str) -> _Cascade:
    """This thread's classifier: ``detectMultiScale`` keeps scratch buffers, so threads don't share one."""
    loaded: dict[str, _Cascade] = _THREAD.__dict__.setdefault("cascades", {})
    if name not in loaded:
        loaded[name] = _load_cascade(name)
    return loaded[name]


def _load_cascade(name: str) -> _Cascade:
    import cv2
    import cv2.data

    factory = getattr(cv2, "CascadeClassifier", None)
    path = Path(cv2.data.haarcascades) / name
    if factory is None or not path.is_file():
        raise RuntimeError(
            f"OpenCV {cv2.__version__} has no Haar face cascades (OpenCV 5 moved them out); "
            "face blurring needs opencv-python-headless 4.x"
        )
    classifier: _Cascade = factory(str(path))
    if classifier.empty():
        raise RuntimeError(f"OpenCV could not load the face cascade {path}")
    return classifier


def clip(x: int, y: int, w: int, h: int, width: int, height: int) -> Box:
    x0, y0 = max(0, min(x, width - 1)), max(0, min(y, height - 1))
    x1, y1 = max(x0 + 1, min(x + w, width)), max(y0 + 1, min(y + h, height))
    return (x0, y0, x1 - x0, y1 - y0)


def _merge(boxes: list[Box]) -> tuple[Box, ...]:
    """Drop a box mostly (half or more) inside a larger kept one: cascades often find a face twice."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: (-b[2] * b[3], b)):
        if not any(_overlap(box, other) >= 0.5 * box[2] * box[3] for other in kept):
            kept.append(box)
    return tuple(kept)


def _overlap(a: Box, b: Box) -> int:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)
