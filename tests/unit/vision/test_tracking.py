"""The tracker between detections: a new face appears, and a lost one disappears, within 0.3 s of video.

Timing here is video time (frame counts and the timestamps passed in), never wall
time. Faces are real photographs (scikit-image's astronaut, matplotlib's Grace
Hopper) pasted into a real, out-of-focus room (scikit-image's coffee photo).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from matplotlib import cbook
from skimage import data

from emuse.vision.detect import DetectorSettings, iou
from emuse.vision.tracking import FaceTracker

LIMIT_S = 0.3


@pytest.fixture(scope="module")
def room() -> np.ndarray:
    coffee = cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)
    return cv2.GaussianBlur(cv2.resize(coffee, (640, 360), interpolation=cv2.INTER_AREA), (0, 0), 4)


@pytest.fixture(scope="module")
def heads() -> dict[str, np.ndarray]:
    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[10:250, 110:350]
    hopper = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))[80:380, 120:420]
    return {"A": cv2.resize(astronaut, (170, 170)), "B": cv2.resize(hopper, (150, 150))}


def scene(room: np.ndarray, heads: dict[str, np.ndarray], **where: tuple[int, int]) -> np.ndarray:
    frame = room.copy()
    for name, (x, y) in where.items():
        head = heads[name]
        frame[y : y + head.shape[0], x : x + head.shape[1]] = head
    return frame


def run(tracker: FaceTracker, frames: list[np.ndarray], fps: float) -> list[list[tuple[int, int, int, int]]]:
    return [tracker.update(frame, now=i / fps) for i, frame in enumerate(frames)]


def faces_near(boxes: list[tuple[int, int, int, int]], x: int) -> int:
    return sum(abs(b[0] + b[2] / 2 - x) < 100 for b in boxes)


@pytest.mark.parametrize("kind", ["blazeface", "haar"])
@pytest.mark.parametrize("fps", [30.0, 10.0])
def test_a_second_face_appears_within_0_3_s(room, heads, kind: str, fps: float) -> None:
    enters = 7
    frames = [
        scene(room, heads, A=(60 + 2 * i, 90), **({"B": (430, 100)} if i >= enters else {})) for i in range(enters + 12)
    ]
    tracker = FaceTracker(DetectorSettings(kind=kind))
    found = run(tracker, frames, fps)
    assert tracker.kind == kind
    assert all(faces_near(boxes, 145 + 2 * i) == 1 for i, boxes in enumerate(found))  # A all along
    first = next(i for i, boxes in enumerate(found) if faces_near(boxes, 505))
    assert (first - enters) / fps <= LIMIT_S
    assert all(faces_near(boxes, 505) == 1 for boxes in found[first:])  # and she stays


@pytest.mark.parametrize("kind", ["blazeface", "haar"])
def test_a_face_that_leaves_disappears_at_once(room, heads, kind: str) -> None:
    leaves = 8
    frames = [scene(room, heads, A=(60, 90), **({"B": (430, 100)} if i < leaves else {})) for i in range(leaves + 6)]
    found = run(FaceTracker(DetectorSettings(kind=kind)), frames, 30.0)
    assert all(faces_near(boxes, 505) == 1 for boxes in found[:leaves])
    assert all(faces_near(boxes, 505) == 0 and faces_near(boxes, 145) == 1 for boxes in found[leaves:])


def test_a_face_whose_template_still_matches_disappears_within_0_3_s(room, heads) -> None:
    """A face blurred beyond recognition still looks like its template; the scheduled detection drops it."""
    vanishes = 5
    blurred = {**heads, "A": cv2.GaussianBlur(heads["A"], (0, 0), 9)}
    frames = [scene(room, heads if i < vanishes else blurred, A=(230, 90)) for i in range(vanishes + 12)]
    tracker = FaceTracker(DetectorSettings(kind="blazeface"))
    assert tracker.detector.detect_frame(frames[-1], cv2.cvtColor(frames[-1], cv2.COLOR_BGR2GRAY)) == []
    found = run(tracker, frames, 30.0)
    assert all(len(boxes) == 1 for boxes in found[:vanishes])
    gone = next(i for i in range(vanishes, len(found)) if not found[i])
    assert (gone - vanishes) / 30.0 <= LIMIT_S
    assert not any(found[gone:])


def test_tracked_boxes_follow_a_moving_face_with_few_detections(room, heads) -> None:
    frames = [scene(room, heads, A=(40 + 9 * i, 60 + round(20 * np.sin(i / 6)))) for i in range(45)]
    tracker = FaceTracker(DetectorSettings(kind="blazeface"))
    reference = FaceTracker(DetectorSettings(kind="blazeface", full_scan_every=1))
    full = 0
    for i, frame in enumerate(frames):
        (box,) = tracker.update(frame, now=i / 30)
        full += tracker.last_was_full_scan
        (expected,) = reference.update(frame, now=i / 30)
        assert reference.last_was_full_scan
        assert iou(box, expected) >= 0.7, i
    assert full <= len(frames) // 5  # at 30 fps, one full detection each 0.2 s


def test_a_new_stream_starts_with_a_full_detection(room, heads) -> None:
    tracker = FaceTracker(DetectorSettings(kind="blazeface"))
    frame = scene(room, heads, A=(60, 90))
    tracker.update(frame, now=10.0)
    tracker.update(frame, now=10.033)
    assert not tracker.last_was_full_scan
    tracker.update(frame, now=0.0)  # time went backwards: another stream
    assert tracker.last_was_full_scan
    tracker.update(frame[:300, :500].copy(), now=0.033)  # another frame size
    assert tracker.last_was_full_scan


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="full_scan_every=0 must be 1"):
        DetectorSettings(full_scan_every=0)
    with pytest.raises(ValueError, match="full_scan_interval=0"):
        DetectorSettings(full_scan_interval=0)
    with pytest.raises(ValueError, match="detector 'yolo' is unknown"):
        DetectorSettings(kind="yolo")
