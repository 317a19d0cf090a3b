"""The BlazeFace decoder on real photographs: anchors, NMS, letterboxing, boxes in frame pixels.

Real faces: scikit-image's astronaut (frontal) and camera man (a turned face half
hidden by his camera, which Haar misses), matplotlib's Grace Hopper. Expected boxes
come from inspecting the photos (face from forehead to chin), not from the decoder.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
from matplotlib import cbook
from skimage import data

from emuse.vision import blazeface
from emuse.vision.blazeface import FULL_RANGE, SHORT_RANGE, BlazeFaceDetector, ssd_anchors, weighted_nms
from emuse.vision.detect import DetectorSettings, HaarDetector, iou
from emuse.vision.tracking import make_detector

#: The astronaut's face in data.astronaut(), by eye: forehead to chin, cheek to cheek.
ASTRONAUT_FACE = (176, 68, 104, 110)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module", params=[FULL_RANGE, SHORT_RANGE], ids=lambda s: s.name)
def detector(request: pytest.FixtureRequest) -> BlazeFaceDetector:
    return BlazeFaceDetector(request.param)


def test_anchor_layout_matches_the_models_outputs() -> None:
    full = ssd_anchors(192, (4,), 0.0)
    assert full.shape == (2304, 2)
    np.testing.assert_allclose(full[0], [0.5 / 48, 0.5 / 48])
    np.testing.assert_allclose(full[1], [1.5 / 48, 0.5 / 48])  # x runs fastest
    np.testing.assert_allclose(full[48], [0.5 / 48, 1.5 / 48])
    short = ssd_anchors(128, (8, 16, 16, 16), 1.0)
    assert short.shape == (896, 2)
    # Stride 8: a 16x16 grid, two anchors per cell; then one 8x8 grid for the three stride-16 layers, six per cell.
    np.testing.assert_allclose(short[0], short[1])
    np.testing.assert_allclose(short[0], [1 / 32, 1 / 32])
    np.testing.assert_allclose(short[512:518], np.tile([1 / 16, 1 / 16], (6, 1)))
    np.testing.assert_allclose(short[-1], [15 / 16, 15 / 16])


def test_weighted_nms_merges_overlaps_by_score_and_keeps_the_rest() -> None:
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [5.0, 5.0, 6.0, 6.0]], np.float32)
    scores = np.array([0.6, 0.9, 0.7], np.float32)
    points = np.zeros((3, 6, 2), np.float32)
    points[:, :, 0] = boxes[:, :1]
    merged = weighted_nms(boxes, scores, points)
    assert [round(score, 2) for _, score, _ in merged] == [0.9, 0.7]  # best first; the cluster keeps its best score
    x0 = (0.0 * 0.6 + 0.1 * 0.9) / 1.5
    np.testing.assert_allclose(merged[0][0], [x0, 0.0, x0 + 1.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(merged[0][2][:, 0], x0, atol=1e-6)
    np.testing.assert_allclose(merged[1][0], boxes[2])


def test_finds_the_astronaut_with_keypoints_in_place(detector: BlazeFaceDetector, astronaut: np.ndarray) -> None:
    (face,) = detector.detect_raw(astronaut)
    assert face.score > 0.8
    assert iou(face.box, ASTRONAUT_FACE) > 0.6
    (right_eye, left_eye, nose, mouth, _, _) = face.keypoints
    assert right_eye[0] < left_eye[0]  # her right eye is on the image's left
    assert max(right_eye[1], left_eye[1]) < nose[1] < mouth[1]
    x, y, w, h = face.box
    assert all(x <= px <= x + w and y <= py <= y + h for px, py in (right_eye, left_eye, nose, mouth))


@pytest.mark.parametrize(
    ("width", "height", "left", "top"),
    [(641, 233, 37, 0), (333, 777, 0, 151), (513, 513, 1, 1)],
    ids=["wide-odd", "tall-odd", "square-odd"],
)
def test_boxes_are_in_frame_pixels_whatever_the_letterbox(
    detector: BlazeFaceDetector, astronaut: np.ndarray, width: int, height: int, left: int, top: int
) -> None:
    """The astronaut's head pasted at a known offset into frames of odd sizes, wide and tall."""
    head = astronaut[20:232, 120:332]  # 212x212 around her face
    frame = np.full((height, width, 3), 90, np.uint8)
    frame[top : top + 212, left : left + 212] = head
    (face,) = detector.detect_raw(frame)
    expected = (ASTRONAUT_FACE[0] - 120 + left, ASTRONAUT_FACE[1] - 20 + top, *ASTRONAUT_FACE[2:])
    assert iou(face.box, expected) > 0.6, (face.box, expected)
    x, y, w, h = face.box
    assert x >= 0 and y >= 0 and x + w <= width and y + h <= height


def test_scaled_and_mirrored_photos_move_the_box_with_them(detector: BlazeFaceDetector, astronaut: np.ndarray) -> None:
    (reference,) = detector.detect_raw(astronaut)
    small = cv2.resize(astronaut, (359, 359), interpolation=cv2.INTER_AREA)
    (scaled,) = detector.detect_raw(small)
    k = 359 / 512
    assert iou(scaled.box, tuple(round(v * k) for v in reference.box)) > 0.85
    (mirrored,) = detector.detect_raw(astronaut[:, ::-1])
    x, y, w, h = reference.box
    assert iou(mirrored.box, (512 - x - w, y, w, h)) > 0.85


def test_turned_and_grayscale_faces_that_haar_misses() -> None:
    camera_man = data.camera()  # grayscale; his face is turned and half behind the camera
    assert HaarDetector(DetectorSettings(kind="haar")).detect(camera_man) == []
    (face,) = BlazeFaceDetector(FULL_RANGE).detect_raw(camera_man)
    assert iou(face.box, (200, 118, 74, 80)) > 0.5


def test_several_real_faces_in_one_frame(astronaut: np.ndarray) -> None:
    """Full range only: in a 128-pixel input these faces are 13 pixels wide, below what short range sees."""
    detector = BlazeFaceDetector(FULL_RANGE)
    hopper = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    frame = np.full((300, 760, 3), 120, np.uint8)
    frame[20:280, 10:370] = cv2.resize(astronaut[0:300, 80:500], (360, 260))
    frame[10:290, 400:740] = cv2.resize(hopper[40:460, 60:480], (340, 280))
    frame[:, 300:420] = cv2.GaussianBlur(frame[:, 300:420], (0, 0), 3)
    faces = detector.detect_raw(frame)
    assert len(faces) == 2
    assert sorted(f.box[0] < 380 for f in faces) == [False, True]  # one in each half


def test_no_face_in_a_photo_without_one(detector: BlazeFaceDetector) -> None:
    assert detector.detect_raw(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)) == []
    assert detector.detect_raw(np.zeros((1, 1, 3), np.uint8)) == []


def test_haar_framing_makes_boxes_agree_with_haar(astronaut: np.ndarray) -> None:
    gray = cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)
    (haar,) = HaarDetector(DetectorSettings(kind="haar")).detect(gray)
    detector, note = make_detector(DetectorSettings(kind="blazeface"))
    assert note == "" and detector.kind == "blazeface"
    (mapped,) = detector.detect_frame(astronaut, gray)
    raw = detector.blazeface.detect_raw(astronaut)[0].box  # type: ignore[attr-defined]
    assert mapped[1] < raw[1] and mapped[2] > raw[2]  # higher and larger, like Haar's
    assert iou(mapped, haar) > 0.7


def test_an_altered_model_file_falls_back_to_haar_with_a_reason(tmp_path, monkeypatch) -> None:
    bad = tmp_path / FULL_RANGE.file
    bad.write_bytes(FULL_RANGE.path.read_bytes()[:-10])
    monkeypatch.setattr(blazeface, "MODELS_DIR", tmp_path)
    altered = dataclasses.replace(FULL_RANGE, name="altered")  # a new cache key for the checked bytes
    with pytest.raises(blazeface.BlazeFaceUnavailable, match=r"sha256.*git checkout -- models/blazeface"):
        BlazeFaceDetector(altered)
    monkeypatch.setitem(blazeface.SPECS, "full_range", altered)
    detector, note = make_detector(DetectorSettings(kind="blazeface"))
    assert detector.kind == "haar" and "sha256" in note


def test_without_litert_the_detector_is_haar(monkeypatch) -> None:
    monkeypatch.setattr(blazeface, "LiteRTInterpreter", None)  # what a failed import leaves
    detector, note = make_detector(DetectorSettings(kind="blazeface"))
    assert detector.kind == "haar" and "ai-edge-litert" in note


def test_detector_choice_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("EMUSE_DETECTOR", "haar")
    assert DetectorSettings().kind == "haar"
    monkeypatch.setenv("EMUSE_DETECTOR", "mediapipe")
    with pytest.raises(ValueError, match=r"EMUSE_DETECTOR='mediapipe'.*blazeface, haar"):
        DetectorSettings()
    monkeypatch.delenv("EMUSE_DETECTOR")
    assert DetectorSettings().kind == "blazeface"
