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
from emuse.vision.smoothing import FaceMoods, MoodSmoother
from emuse.vision.tracking import FaceTracker


@dataclass(frozen=True)
class Face:
    """One face in one frame: where, what emotion, all seven scores (unsmoothed), and its smoothed mood.

    ``emotion``, ``confidence`` and ``scores`` are this frame's raw answer; ``mood`` is
    this face's own smoothed mood (one smoother per face, see
    :class:`emuse.vision.smoothing.FaceMoods`), which is what its box shows.
    ``main`` marks the face the music follows (every face when following the group).
    """

    box: Box
    emotion: str
    confidence: float
    scores: tuple[float, ...]
    mood: Mood | None = None
    main: bool = False

    def as_dict(self) -> dict:
        return {
            "box": list(self.box),
            "emotion": self.emotion,
            "confidence": round(self.confidence, 4),
            "scores": {label: round(score, 4) for label, score in zip(EMOTIONS, self.scores, strict=True)},
        }


@dataclass(frozen=True)
class FrameAnalysis:
    """What one frame showed. ``mood`` is what the music follows: the main face's, or the group's, smoothed mood."""

    faces: tuple[Face, ...]
    mood: Mood | None
    timings_ms: dict[str, float] = field(default_factory=dict)
    follow: str = "largest"


#: Whose mood the music follows when several people are in view.
FOLLOW: dict[str, str] = {"largest": "the largest face", "group": "the group's average mood"}


class FrameAnalyzer:
    """One session's analysis state around a shared :class:`EmotionClassifier`.

    Holds per-video state (the face tracker, one mood smoother per face, the group's
    smoother), so it belongs to one
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
        self.smoother = smoother or MoodSmoother()  # the group's mood (mean of every face's scores)
        self.faces = FaceMoods()
        self.follow = "largest"  # or "group": see FOLLOW
        self._main: int | None = None  # face id of the face the music followed last frame
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget tracked faces and the mood (a new stream starts)."""
        with self._lock:
            self.tracker.reset()
            self.smoother.reset()
            self.faces.reset()
            self._main = None

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
                return FrameAnalysis((), self._follow([], [], now), follow=self.follow)
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
            moods = self.faces.update(boxes, scores, now)
            mood = self._follow(boxes, moods, now, scores)
            faces = tuple(
                Face(
                    box,
                    EMOTIONS[int(np.argmax(s))],
                    float(np.max(s)),
                    tuple(float(v) for v in s),
                    face_mood,
                    self.follow == "group" or face_id == self._main,
                )
                for box, s, (face_id, face_mood) in zip(boxes, scores, moods, strict=True)
            )
            t5 = time.perf_counter()
        timings = {
            "convert": (t1 - t0) * 1e3,
            "detect": (t2 - t1) * 1e3,
            "preprocess": (t3 - t2) * 1e3,
            "classify": (t4 - t3) * 1e3,
            "smooth": (t5 - t4) * 1e3,
        }
        return FrameAnalysis(faces, mood, timings, self.follow)

    def _follow(
        self, boxes: list[Box], moods: list[tuple[int, Mood | None]], now: float, scores: np.ndarray | None = None
    ) -> Mood | None:
        """The mood the music follows; remembers the main face so it stays the same person.

        ``largest``: the biggest face, kept as the main face while it stays at least
        0.7 times the biggest one's area (two similar faces don't take turns).
        ``group``: one more smoother, fed the mean of every face's scores.
        """
        group = self.smoother.update(np.mean(scores, axis=0) if len(boxes) else None, now)
        if not boxes:  # nobody in this frame: the main face's mood fades out as its smoother forgets
            return group if self.follow == "group" else self.faces.mood(self._main)
        areas = [w * h for _, _, w, h in boxes]
        ids = [face_id for face_id, _ in moods]
        if self._main not in ids or areas[ids.index(self._main)] < 0.7 * max(areas):
            self._main = ids[int(np.argmax(areas))]
        return group if self.follow == "group" else moods[ids.index(self._main)][1]


def _intersects(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def place_labels(boxes: list[Box], sizes: list[tuple[int, int]], frame_w: int, frame_h: int) -> list[Box]:
    """Where each face's label goes (``x, y, w, h``), so that no label covers another label or another face.

    Tried in order for each face, first face first: above its box, below it, inside
    its top edge; the first spot inside the frame that touches no label placed so
    far and no other face wins. If none is free, the label goes above the box and is
    lifted above whatever label it would cover. A few rectangles per face: negligible
    next to detection.
    """
    placed: list[Box] = []
    for i, ((x, y, _, h), (lw, lh)) in enumerate(zip(boxes, sizes, strict=True)):
        left = min(max(0, x), max(0, frame_w - lw))
        candidates = [(left, y - lh, lw, lh), (left, y + h, lw, lh), (left, y, lw, lh)]
        others = [b for j, b in enumerate(boxes) if j != i]
        spot = next(
            (
                c
                for c in candidates
                if c[1] >= 0
                and c[1] + lh <= frame_h
                and not any(_intersects(c, p) for p in placed)
                and not any(_intersects(c, o) for o in others)
            ),
            None,
        )
        if spot is None:
            top = max(0, y - lh)
            for p in sorted(placed, key=lambda p: -p[1]):
                if _intersects((left, top, lw, lh), p):
                    top = p[1] - lh
            spot = (left, max(0, top), lw, lh)
        placed.append(spot)
    return placed


def draw(frame: np.ndarray, analysis: FrameAnalysis) -> np.ndarray:
    """Boxes and labels on a BGR frame, in place; returns the frame for chaining.

    Each box shows its face's *smoothed* mood (the same one the page shows), in that
    mood's colour; a thin bar under the label is this frame's raw answer (its colour
    and length: raw emotion and its score). The face the music follows gets a box
    twice as thick as the others. Labels never cover each other.
    """
    base = max(2, frame.shape[1] // 320)
    font_scale = max(0.5, frame.shape[1] / 900)
    texts, sizes, looks = [], [], []
    for face in analysis.faces:
        shown = face.mood or Mood(face.emotion, face.confidence, face.scores)
        texts.append(f"{shown.label} {shown.confidence:.0%}")
        (tw, th), baseline = cv2.getTextSize(texts[-1], cv2.FONT_HERSHEY_SIMPLEX, font_scale, base)
        sizes.append((tw + 8, th + baseline + 10))
        looks.append((hex_to_bgr(COLORS[shown.label]), th))
    spots = place_labels([f.box for f in analysis.faces], sizes, frame.shape[1], frame.shape[0])
    for face, text, (color, th), (lx, ly, lw, lh) in zip(analysis.faces, texts, looks, spots, strict=True):
        x, y, w, h = face.box
        cv2.rectangle(frame, (x, y), (x + w, y + h), color, base * 2 if face.main else base)
        cv2.rectangle(frame, (lx, ly), (lx + lw, ly + lh), color, -1)
        cv2.putText(
            frame, text, (lx + 4, ly + th + 3), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (20, 20, 20), base, cv2.LINE_AA
        )
        raw = round((lw - 10) * face.confidence)  # the raw cue: a 3-pixel bar in a dark track at the label's foot
        cv2.rectangle(frame, (lx + 4, ly + lh - 6), (lx + lw - 4, ly + lh - 2), (20, 20, 20), -1)
        cv2.rectangle(frame, (lx + 5, ly + lh - 5), (lx + 5 + raw, ly + lh - 3), hex_to_bgr(COLORS[face.emotion]), -1)
    return frame
