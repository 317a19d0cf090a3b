"""Snapshots and uploads: the same pipeline on whole files, with clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from emuse.vision import uploads
from emuse.vision.media import MediaError


def encode(image: np.ndarray, ext: str = ".jpg") -> bytes:
    ok, buf = cv2.imencode(ext, image)
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="module")
def face_video(tmp_path_factory, webcam_frame) -> bytes:
    path = Path(tmp_path_factory.mktemp("video")) / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for i in range(20):  # two seconds
        writer.write(np.roll(webcam_frame, i * 2, axis=1))
    writer.release()
    return path.read_bytes()


def test_snapshot_of_a_smiling_face(classifier, astronaut_bgr) -> None:
    result = uploads.analyze_image(classifier, encode(astronaut_bgr), "snapshot.jpg")
    assert result.faces == 1 and result.mood is not None and result.mood.label == "happy"
    assert result.annotated.shape == astronaut_bgr.shape
    assert not np.array_equal(result.annotated, astronaut_bgr)  # the box is drawn


def test_png_with_alpha_is_read(classifier, astronaut_bgr) -> None:
    rgba = cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2BGRA)
    assert uploads.analyze_image(classifier, encode(rgba, ".png"), "alpha.png").mood.label == "happy"


def test_uploaded_video_is_sampled_in_memory(classifier, face_video) -> None:
    result = uploads.analyze_video(classifier, face_video, "clip.avi")
    assert 8 <= result.frames <= 12  # 2 s sampled at 5 fps
    assert result.mood is not None and result.mood.label == "happy"
    assert [label for _, label in result.timeline] == ["happy"] * result.frames


def test_truncated_video_keeps_what_decoded_or_says_so(classifier, face_video) -> None:
    half = uploads.analyze_video(classifier, face_video[: len(face_video) // 2], "half.avi")
    assert 1 <= half.frames < 12
    with pytest.raises(MediaError, match="video"):
        uploads.analyze_video(classifier, face_video[:300], "stub.avi")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 not a picture", "not an image"),
        (encode(np.zeros((1, 1, 3), np.uint8), ".png"), None),  # 1x1: readable, simply no face
    ],
    ids=["empty", "pdf", "1x1"],
)
def test_bad_or_tiny_images(classifier, data: bytes, message: str | None) -> None:
    if message is None:
        result = uploads.analyze_image(classifier, data, "tiny.png")
        assert result.faces == 0 and result.mood is None
    else:
        with pytest.raises(MediaError, match=message):
            uploads.analyze_image(classifier, data, "upload")


def test_huge_image_is_refused_before_decoding(classifier) -> None:
    # A 10000x10000 PNG compresses to a few hundred kB but would be 300 MB of pixels.
    data = encode(np.zeros((10000, 10000, 3), np.uint8), ".png")
    with pytest.raises(MediaError, match="too large"):
        uploads.analyze_image(classifier, data, "huge.png")


def test_large_but_sane_image_is_downscaled(classifier, astronaut_bgr) -> None:
    big = cv2.resize(astronaut_bgr, (3000, 3000))
    result = uploads.analyze_image(classifier, encode(big), "big.jpg")
    assert max(result.annotated.shape[:2]) == 1920
    assert result.mood.label == "happy"


def test_is_video_by_name_or_type() -> None:
    assert uploads.is_video("a.MP4", None) and uploads.is_video("clip", "video/webm")
    assert not uploads.is_video("photo.jpg", "image/jpeg")
