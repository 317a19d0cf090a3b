"""Face detection with OpenCV's Haar cascade: a downscaled copy, and tracking between full scans.

Detection, not the CNN, is the cost to beat. Two measured savings, both keeping the
cascade's own answers (same scales, same grid) so results do not drift:

1. **Downscale.** The cascade's cost grows with the pixel count. A webcam face fills a
   good part of the frame, so a 320-pixel-wide copy finds the same faces at a fraction
   of the cost of the full 640x480 frame (this project's 2-core machine: about 70 ms
   full size, 10-25 ms at 320x240).
2. **Track, then re-detect nearby.** A face moves a few pixels between frames. Once one
   is found, :class:`FaceTracker` runs the cascade only in a window around its last
   box (1.6 times its size) and only at scales within 20% of its last size: about 3 ms
   of CPU instead of 27 ms for a full scan of the 320x240 copy (single thread, a
   150-pixel face; measured with ``time.process_time`` because the machine is shared).
   Every ``full_scan_every`` frames, and whenever a tracked face is lost, it scans the
   whole frame again, so new faces appear within a fraction of a second and a lost one
   is looked for everywhere at once.

``full_scan_every=1`` turns tracking off: every frame is a full scan (the reference
path the benchmark and tests compare against).

Neither class is shared between threads: OpenCV does not promise that
``detectMultiScale`` is thread-safe, and a tracker holds one video's state. One per
video session is cheap (the cascade file is 1 MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in full-frame pixels

CASCADE_FILE = "haarcascade_frontalface_default.xml"


@dataclass(frozen=True)
class DetectorSettings:
    """Knobs of the cascade and the tracker. Defaults suit a webcam at arm's length."""

    work_width: int = 320  # frames wider than this are downscaled before detection
    scale_factor: float = 1.1
    min_neighbors: int = 5
    min_face_fraction: float = 0.08  # smallest face, as a fraction of the frame's shorter side
    full_scan_every: int = 10  # while faces are tracked, scan the whole frame every N frames (1 = always)
    track_margin: float = 0.3  # search window around a tracked face: this fraction of its size on each side
    track_size_change: float = 1.2  # a tracked face may shrink or grow by this factor between frames

    def __post_init__(self) -> None:
        if self.work_width < 32:
            raise ValueError(f"work_width={self.work_width} is too small; use 160 or more (320 is the default)")
        if self.scale_factor <= 1.0:
            raise ValueError(f"scale_factor={self.scale_factor} must be above 1.0 (1.1 is the default)")
        if self.full_scan_every < 1:
            raise ValueError(f"full_scan_every={self.full_scan_every} must be 1 (no tracking) or more")
        if self.track_margin < 0 or self.track_size_change < 1.0:
            raise ValueError("track_margin must be >= 0 and track_size_change >= 1.0")


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


class FaceDetector:
    """Finds frontal faces in a whole frame; returns boxes in the coordinates of the frame given."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        path = cv2.data.haarcascades + CASCADE_FILE
        self._cascade = cv2.CascadeClassifier(path)
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

    def detect_small(self, small: np.ndarray) -> list[Box]:
        """Faces in a working image, in its pixels, largest first."""
        return _largest_first(self.scan(small, self.min_side(small)))

    def detect(self, gray: np.ndarray) -> list[Box]:
        """Faces in a uint8 grayscale frame, largest first (a full scan, no state)."""
        small, scale = self.downscale(gray)
        return [to_full(box, scale) for box in self.detect_small(small)]


class FaceTracker:
    """One video's faces over time: full scans now and then, cheap local re-detection in between."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.detector = FaceDetector(settings)
        self.settings = self.detector.settings
        self._boxes: list[Box] = []  # last frame's faces, in working pixels
        self._since_full = 0  # frames since the last full scan
        self._shape: tuple[int, int] | None = None
        self.last_was_full_scan = False

    def reset(self) -> None:
        """Forget tracked faces; the next frame gets a full scan."""
        self._boxes = []
        self._since_full = 0
        self._shape = None

    def update(self, gray: np.ndarray) -> list[Box]:
        """Faces in this frame (full-frame pixels, largest first), using the previous frame's as a hint."""
        small, scale = self.detector.downscale(gray)
        if small.shape[:2] != self._shape:  # a new video or a resized stream: old boxes mean nothing
            self._boxes, self._shape = [], small.shape[:2]
        boxes: list[Box] | None = None
        if self._boxes and self._since_full + 1 < self.settings.full_scan_every:
            boxes = self._follow(small)
        self.last_was_full_scan = boxes is None
        if boxes is None:
            boxes = self.detector.detect_small(small)
            self._since_full = 0
        else:
            self._since_full += 1
        self._boxes = boxes
        return [to_full(box, scale) for box in boxes]

    def _follow(self, small: np.ndarray) -> list[Box] | None:
        """Re-detect every tracked face near where it was; ``None`` if any is lost (then a full scan)."""
        height, width = small.shape[:2]
        floor = self.detector.min_side(small)
        change = self.settings.track_size_change
        found: list[Box] = []
        for x, y, w, h in self._boxes:
            margin = round(max(w, h) * self.settings.track_margin)
            x0, y0 = max(0, x - margin), max(0, y - margin)
            x1, y1 = min(width, x + w + margin), min(height, y + h + margin)
            window = small[y0:y1, x0:x1]
            low = max(floor, int(min(w, h) / change))
            high = min(x1 - x0, y1 - y0, int(max(w, h) * change) + 1)
            if high < low:
                return None
            candidates = [(cx + x0, cy + y0, cw, ch) for cx, cy, cw, ch in self.detector.scan(window, low, high)]
            if not candidates:
                return None
            best = max(candidates, key=lambda c, prev=(x, y, w, h): iou(c, prev))
            if iou(best, (x, y, w, h)) == 0.0:
                return None
            if all(iou(best, other) < 0.5 for other in found):  # two tracks that met on one face count once
                found.append(best)
        return _largest_first(found)


def to_full(box: Box, scale: float) -> Box:
    """A working-image box in full-frame pixels."""
    x, y, w, h = box
    return (int(x / scale), int(y / scale), int(w / scale), int(h / scale))


def _largest_first(boxes: Sequence[Box]) -> list[Box]:
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)
