"""Face detectors behind one interface: BlazeFace (default) or OpenCV's Haar cascade.

Both answer ``detect_frame(bgr, gray)`` with boxes in the **Haar cascade's framing**
(BlazeFace's tighter, lower boxes are mapped, see :mod:`emuse.vision.blazeface`), in
full-frame pixels, largest first, so the emotion model gets the same crop whichever
detector found the face, and tracking, drawing and the benchmarks compare like with
like. :func:`emuse.vision.tracking.make_detector` builds the one the settings ask for
and falls back to Haar (with a note saying why) where LiteRT or the BlazeFace model is
missing.

Haar stays as the design's detector and the fallback. Its cost grows with the pixel
count, so it runs on a 320-pixel-wide copy (this project's 2-core machine: about 70 ms
full size, 10-25 ms at 320x240). Which detector is the default, and why, is measured
in ``benchmarks/detector_bench.py``.

Following faces between full detections is :mod:`emuse.vision.tracking`'s job.

A detector is not shared between threads: OpenCV does not promise that
``detectMultiScale`` is thread-safe and a LiteRT interpreter is documented as not
thread-safe. One per video session is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from emuse.config import ConfigError

Box = tuple[int, int, int, int]  # x, y, w, h in full-frame pixels

CASCADE_FILE = "haarcascade_frontalface_default.xml"
DETECTORS = ("blazeface", "haar")
BLAZEFACE_MODELS = ("full_range", "short_range")
#: Environment variable that picks the detector for the app and the CLI (``blazeface`` or ``haar``).
DETECTOR_ENV = "EMUSE_DETECTOR"


def default_detector() -> str:
    """The detector kind from ``EMUSE_DETECTOR``, else ``blazeface``; a bad value says what is allowed."""
    value = os.environ.get(DETECTOR_ENV, "").strip().lower()
    if not value:
        return "blazeface"
    if value not in DETECTORS:
        raise ConfigError(f"{DETECTOR_ENV}={value!r} is not a detector; use one of {', '.join(DETECTORS)}")
    return value


@dataclass(frozen=True)
class DetectorSettings:
    """Which detector, its knobs, and the tracker's. Defaults suit a webcam at arm's length.

    ``kind`` defaults to ``EMUSE_DETECTOR`` (else ``blazeface``), read when the settings
    are made.
    """

    kind: str = field(default_factory=default_detector)
    blazeface_model: str = "full_range"
    min_score: float = 0.5  # BlazeFace's score threshold (MediaPipe's)
    work_width: int = 320  # frames wider than this are downscaled before detection
    scale_factor: float = 1.1
    min_neighbors: int = 5
    min_face_fraction: float = 0.08  # smallest face, as a fraction of the frame's shorter side
    full_scan_every: int = 10  # while faces are tracked, detect in the whole frame every N frames (1 = always)
    full_scan_interval: float = 0.2  # ... and at least this often, in seconds of video time
    track_margin: float = 0.3  # search window around a tracked face: this fraction of its size on each side
    track_min_similarity: float = 0.6  # a tracked face whose template matches worse than this is lost
    track_min_score: float = 0.6  # BlazeFace faces scored below this are not followed, only re-detected

    def __post_init__(self) -> None:
        if self.kind not in DETECTORS:
            raise ValueError(f"detector {self.kind!r} is unknown; use one of {', '.join(DETECTORS)}")
        if self.blazeface_model not in BLAZEFACE_MODELS:
            raise ValueError(f"blazeface_model {self.blazeface_model!r}: use one of {', '.join(BLAZEFACE_MODELS)}")
        if not 0.0 < self.min_score < 1.0:
            raise ValueError(f"min_score={self.min_score} must be between 0 and 1 (0.5 is the default)")
        if self.work_width < 32:
            raise ValueError(f"work_width={self.work_width} is too small; use 160 or more (320 is the default)")
        if self.scale_factor <= 1.0:
            raise ValueError(f"scale_factor={self.scale_factor} must be above 1.0 (1.1 is the default)")
        if self.full_scan_every < 1:
            raise ValueError(f"full_scan_every={self.full_scan_every} must be 1 (no tracking) or more")
        if self.full_scan_interval <= 0:
            raise ValueError(f"full_scan_interval={self.full_scan_interval} must be above 0 s (0.2 is the default)")
        if self.track_margin < 0 or not 0.0 <= self.track_min_similarity <= 1.0:
            raise ValueError("track_margin must be >= 0 and track_min_similarity between 0 and 1")


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes; 0 when they don't touch."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / float(aw * ah + bw * bh - inter)


class Detector(Protocol):
    """What the tracker and the pipeline need from a face detector."""

    kind: str

    #: A confidence per box of the last ``detect_frame`` (Haar: 1.0 each), same order.
    last_scores: list[float]

    def detect_frame(self, bgr: np.ndarray, gray: np.ndarray) -> list[Box]:
        """Faces in one frame (BGR and its grayscale), Haar-framed boxes in frame pixels, largest first."""
        ...


class HaarDetector:
    """Frontal faces by OpenCV's Haar cascade on a downscaled copy; boxes in the frame given."""

    kind = "haar"

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        path = cv2.data.haarcascades + CASCADE_FILE
        self._cascade = cv2.CascadeClassifier(path)
        self.last_scores: list[float] = []
        if self._cascade.empty():
            raise RuntimeError(f"could not load the Haar cascade {path}; reinstall opencv-python-headless<5")

    def work_scale(self, width: int) -> float:
        """Factor from full-frame to working (downscaled) pixels."""
        return min(1.0, self.settings.work_width / float(width))

    def downscale(self, gray: np.ndarray) -> tuple[np.ndarray, float]:
        """The working copy the cascade runs on, and its scale."""
        height, width = gray.shape[:2]
        scale = self.work_scale(width)
        if scale == 1.0:
            return gray, 1.0
        size = (round(width * scale), round(height * scale))
        return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), scale

    def min_side(self, small: np.ndarray) -> int:
        """Smallest face searched for, in working pixels."""
        return max(20, int(min(small.shape[:2]) * self.settings.min_face_fraction))

    def scan(self, small: np.ndarray, min_size: int, max_size: int = 0) -> list[Box]:
        """Raw cascade answers on (part of) a working image, in its pixels."""
        found = self._cascade.detectMultiScale(
            small,
            scaleFactor=self.settings.scale_factor,
            minNeighbors=self.settings.min_neighbors,
            minSize=(min_size, min_size),
            maxSize=(max_size, max_size),
        )
        return [(int(x), int(y), int(w), int(h)) for (x, y, w, h) in (found if len(found) else [])]

    def detect(self, gray: np.ndarray) -> list[Box]:
        """Faces in a uint8 grayscale frame, largest first (a full scan, no state)."""
        small, scale = self.downscale(gray)
        return [to_full(box, scale) for box in largest_first(self.scan(small, self.min_side(small)))]

    def detect_frame(self, bgr: np.ndarray, gray: np.ndarray) -> list[Box]:
        boxes = self.detect(gray)
        self.last_scores = [1.0] * len(boxes)  # the cascade has no score: every answer counts as sure
        return boxes


#: The name this class had when it was the only detector.
FaceDetector = HaarDetector


def to_full(box: Box, scale: float) -> Box:
    """A working-image box in full-frame pixels."""
    x, y, w, h = box
    return (int(x / scale), int(y / scale), int(w / scale), int(h / scale))


def largest_first(boxes: Sequence[Box]) -> list[Box]:
    """Largest area first: the main face (the one whose mood is shown) is ``boxes[0]``."""
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)
