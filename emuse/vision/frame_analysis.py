"""The per-frame path: frame -> faces -> emotions -> smoothed mood, and the drawing of it.

``FrameAnalyzer`` holds one video session's state (its face tracker and its mood
smoother); the CNN inside it is shared. It does not draw, read video or write
anything: :func:`draw` annotates a frame, :mod:`.media` reads files, the UI layer
moves results out of the video thread.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from emuse.labels import COLORS, EMOTIONS, hex_to_bgr
from emuse.mood import Mood
from emuse.vision.calibration import Calibration
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.detect import Box, DetectorSettings
from emuse.vision.frames import to_bgr, to_gray
from emuse.vision.smoothing import MoodSmoother
from emuse.vision.tracking import FaceTracker


@dataclass(frozen=True)
class Face:
    """One face in one frame: where, what emotion, and all seven scores (unsmoothed)."""

    box: Box
    emotion: str
    confidence: float
    scores: tuple[float, ...]

    def as_dict(self) -> dict:
        return {
            "box": list(self.box),
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "scores": {label: round(score, 4) for label, score in zip(EMOTIONS, self.scores, strict=True)},
        }


@dataclass(frozen=True)
class FrameAnalysis:
    """What one frame showed. ``mood`` is the smoothed mood of the main (largest) face."""

    faces: tuple[Face, ...]
    mood: Mood | None
    timings_ms: dict[str, float] = field(default_factory=dict)


class FrameAnalyzer:
    """One session's analysis state around a shared :class:`EmotionClassifier`.

    Holds per-video state (the face tracker, the mood smoother), so it belongs to one
    video session. ``analyze`` takes a lock anyway: if a caller ever hands frames of one
    session from two threads, they are analysed one after the other instead of
    corrupting the tracker. Sessions never wait for each other here; they share only
    the classifier, which has its own (short) lock.
    """

    def __init__(
        self,
        classifier: EmotionClassifier,
        detector_settings: DetectorSettings | None = None,
        smoother: MoodSmoother | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.classifier = classifier
        #: This session's calibration from the person's corrections (applied to every face's scores).
        self.calibration = calibration
        self.tracker = FaceTracker(detector_settings)
        self.detector = self.tracker.detector
        self.smoother = smoother or MoodSmoother()
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget tracked faces and the mood (a new stream starts)."""
        with self._lock:
            self.tracker.reset()
            self.smoother.reset()

    def analyze(self, frame: np.ndarray | None, now: float | None = None) -> FrameAnalysis:
        """Analyse one frame of any shape; an empty or face-less frame gives no faces, not an error.

        ``timings_ms`` has one entry per stage: convert (to gray), detect, preprocess
        (crop and resize the faces), classify and smooth.
        """
        now = time.monotonic() if now is None else now
        with self._lock:
            t0 = time.perf_counter()
            bgr = to_bgr(frame)
            if bgr is None:
                return FrameAnalysis((), self.smoother.update(None, now))
            gray = to_gray(bgr)
            t1 = time.perf_counter()
            boxes = self.tracker.update(bgr, gray, now)
            t2 = time.perf_counter()
            crops = self.classifier.crop_faces(gray, boxes)
            t3 = time.perf_counter()
            scores = self.classifier.predict_batch(crops)
            if self.calibration is not None and len(scores):
                scores = self.calibration.apply(scores)
            t4 = time.perf_counter()
            faces = tuple(
                Face(box, EMOTIONS[int(np.argmax(s))], float(np.max(s)), tuple(float(v) for v in s))
                for box, s in zip(boxes, scores, strict=True)
            )
            mood = self.smoother.update(scores[0] if len(faces) else None, now)
            t5 = time.perf_counter()
        timings = {
            "convert": (t1 - t0) * 1e3,
            "detect": (t2 - t1) * 1e3,
            "preprocess": (t3 - t2) * 1e3,
            "classify": (t4 - t3) * 1e3,
            "smooth": (t5 - t4) * 1e3,
        }
        return FrameAnalysis(faces, mood, timings)


def draw(frame: np.ndarray, analysis: FrameAnalysis) -> np.ndarray:
    """Boxes and labels on a BGR frame, in place; returns the frame for chaining."""
    thickness = max(2, frame.shape[1] // 320)
    font_scale = max(0.5, frame.shape[1] / 900)
    for face in analysis.faces:
        x, y, w, h = face.box
        color = hex_to_bgr(COLORS[face.emotion])
        cv2.rectangle(frame, (x, y), (x + w, y + h), color, thickness)
        text = f"{face.emotion} {face.confidence:.0%}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        top = max(0, y - th - base - 6)
        cv2.rectangle(frame, (x, top), (x + tw + 8, top + th + base + 6), color, -1)
        cv2.putText(
            frame,
            text,
            (x + 4, top + th + 3),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (20, 20, 20),
            thickness,
            cv2.LINE_AA,
        )
    return frame
