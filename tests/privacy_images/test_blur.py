"""Reviewer-marked regions and detected faces are blurred beyond recognition; the rest is untouched."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
from PIL import ExifTags, Image

from privacy.images import ImageRejected, obscure, process_image

from .helpers import encode, face_photo, noise, pixels


def _haar_problem() -> str | None:
    """Why the OpenCV face cascades cannot run here, or None when they can."""
    try:
        import cv2
        import cv2.data
    except ImportError:
        return "opencv-python-headless is not installed"
    if not hasattr(cv2, "CascadeClassifier"):
        return f"OpenCV {cv2.__version__} has no Haar cascades (removed in 5.x): pin opencv-python-headless 4.x"
    return None


needs_haar = pytest.mark.skipif(_haar_problem() is not None, reason=str(_haar_problem()))


def _detail(array: np.ndarray) -> float:
    """Mean absolute difference between neighbouring pixels: high for texture, near 0 when blurred."""
    grey = array.astype(np.float64).mean(axis=2)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def test_regions_are_blurred_and_nothing_else_changes():
    source = encode(noise(200, 160), "PNG")
    box = (50, 60, 80, 40)
    result = process_image(source, regions=[box], blur_faces=False)
    before, after = pixels(source), pixels(result.data)
    x, y, w, h = box
    inside_before, inside_after = before[y : y + h, x : x + w], after[y : y + h, x : x + w]
    assert inside_after.var() < inside_before.var() / 20  # noise (var ~5400) becomes a few smooth blocks
    assert _detail(inside_after) < _detail(inside_before) / 20
    outside = np.ones(before.shape[:2], dtype=bool)
    outside[y : y + h, x : x + w] = False
    assert np.array_equal(after[outside], before[outside])
    assert result.regions == (box,) and result.faces == ()


def test_tiny_and_thin_regions_are_blurred_too():
    for box in [(5, 5, 3, 3), (0, 0, 200, 4), (10, 10, 1, 100)]:
        picture = noise(200, 160)
        obscure(picture, box)
        x, y, w, h = box
        patch = np.asarray(picture)[y : y + h, x : x + w].astype(np.float64)
        original = np.asarray(noise(200, 160))[y : y + h, x : x + w].astype(np.float64)
        assert patch.std() < original.std() / 3, box


def test_regions_are_in_upright_coordinates():
    stored = noise(40, 20)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    source = encode(stored, "PNG", exif=exif)
    result = process_image(source, regions=[(0, 0, 20, 40)], blur_faces=False)  # the whole upright picture
    assert (result.width, result.height) == (20, 40)
    with pytest.raises(ValueError, match="outside"):
        process_image(source, regions=[(0, 0, 40, 20)], blur_faces=False)  # stored, not upright, size


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ((0, 0, 0, 10), "positive"),
        ((0, 0, 10, -1), "positive"),
        ((-1, 0, 10, 10), "negative"),
        ((0, 0, 121, 10), "outside"),
        ((100, 80, 21, 10), "outside"),
        ((0, 0, 10), "four integers"),
        ((0, 0, 10.5, 10), "four integers"),
        ((0, 0, True, 10), "four integers"),
        ("abcd", "four integers"),
    ],
)
def test_bad_regions_are_a_clear_value_error(region, message):
    source = encode(noise(120, 90), "PNG")
    with pytest.raises(ValueError, match=message) as caught:
        process_image(source, regions=[region], blur_faces=False)
    assert not isinstance(caught.value, ImageRejected)


def test_region_shape_is_checked_before_the_file_is_read():
    with pytest.raises(ValueError, match="positive"):
        process_image(b"not even an image", regions=[(0, 0, 0, 0)], blur_faces=False)


def test_numpy_integers_are_accepted_as_coordinates():
    source = encode(noise(120, 90), "PNG")
    region = tuple(np.int64(v) for v in (1, 2, 30, 40))
    assert process_image(source, regions=[region], blur_faces=False).regions == ((1, 2, 30, 40),)


def test_missing_opencv_is_an_error_not_a_silent_skip(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 now raises ImportError
    with pytest.raises(RuntimeError, match="opencv"):
        process_image(encode(noise(), "PNG"))


@needs_haar
def test_no_faces_in_noise_or_flat_pictures():
    for picture in (noise(320, 240), Image.new("RGB", (320, 240), (90, 120, 200))):
        source = encode(picture, "PNG")
        result = process_image(source)
        assert result.faces == ()
        assert np.array_equal(pixels(result.data), pixels(source))


FACE = face_photo()


@needs_haar
@pytest.mark.skipif(
    FACE is None,
    reason="no face photo ships with an installed package (matplotlib's grace_hopper.jpg or "
    "scikit-image's astronaut.png); add matplotlib as a test dependency to run this",
)
def test_a_real_face_is_found_and_made_unrecognizable():
    name, source = FACE
    result = process_image(source)
    assert result.faces, f"no face found in {name}"
    before, after = pixels(source), pixels(result.data)
    for x, y, w, h in result.faces:
        assert w >= 40 and h >= 40  # a real face, not a speck of texture
        face_before, face_after = before[y : y + h, x : x + w], after[y : y + h, x : x + w]
        assert _detail(face_after) < _detail(face_before) / 4
        # A small thumbnail of the blurred face differs clearly from the original's: features are gone.
        small_before = np.asarray(Image.fromarray(face_before.astype(np.uint8)).resize((16, 16), Image.Resampling.BOX))
        small_after = np.asarray(Image.fromarray(face_after.astype(np.uint8)).resize((16, 16), Image.Resampling.BOX))
        assert np.abs(small_before.astype(int) - small_after.astype(int)).mean() > 8
        # A margin is blurred as well: hair and chin just outside the detector's box.
        dy = round(h * 0.15)
        margin = after[max(0, y - dy) : y, x : x + w]
        if margin.size:
            assert _detail(margin) < _detail(before[max(0, y - dy) : y, x : x + w]) / 2

    # Without face blurring the picture is only re-encoded.
    plain = process_image(source, blur_faces=False)
    assert plain.faces == ()
    assert np.abs(pixels(plain.data) - before).mean() < 4
    assert Image.open(io.BytesIO(plain.data)).size == (result.width, result.height)
