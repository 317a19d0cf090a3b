"""A mood (:class:`emuse.mood.Mood`) that changes when the person's expression changes, not when one frame is noisy.

Two mechanisms, each for its own kind of flicker:

1. An exponential moving average of the seven scores with a *time* constant, so the
   smoothing feels the same at 8 fps on a laptop and 30 fps on a desktop:
   ``alpha = 1 - exp(-dt / tau)``.
2. Hysteresis on the displayed label: a new label replaces the shown one only when
   its smoothed score beats the shown label's by ``margin``. Two nearly tied
   emotions therefore don't alternate.

When no face is seen for ``forget_after`` seconds the mood is cleared, so a person
who walks away is not reported as still "happy".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emuse.labels import EMOTIONS
from emuse.mood import Mood
from emuse.vision.detect import Box, iou


class MoodSmoother:
    """Feed it one person's per-frame scores; read :attr:`mood`."""

    def __init__(self, tau: float = 0.6, margin: float = 0.1, forget_after: float = 2.0) -> None:
        self.tau = tau
        self.margin = margin
        self.forget_after = forget_after
        self._scores: np.ndarray | None = None
        self._label: str | None = None
        self._last_seen: float | None = None

    @property
    def mood(self) -> Mood | None:
        if self._scores is None or self._label is None:
            return None
        index = EMOTIONS.index(self._label)
        return Mood(self._label, float(self._scores[index]), tuple(float(v) for v in self._scores))

    def update(self, scores: np.ndarray | None, now: float) -> Mood | None:
        """Add one observation (``None`` = no face in this frame) taken at time ``now`` (seconds)."""
        if scores is None:
            if self._last_seen is not None and now - self._last_seen > self.forget_after:
                self.reset()
            return self.mood
        scores = np.asarray(scores, dtype=np.float64)
        if self._scores is None or self._last_seen is None:
            self._scores = scores.copy()
        else:
            dt = max(0.0, now - self._last_seen)
            alpha = 1.0 - math.exp(-dt / self.tau) if self.tau > 0 else 1.0
            self._scores = (1 - alpha) * self._scores + alpha * scores
        self._last_seen = now
        best = EMOTIONS[int(np.argmax(self._scores))]
        if self._label is None:
            self._label = best
        elif best != self._label:
            shown = self._scores[EMOTIONS.index(self._label)]
            if self._scores[EMOTIONS.index(best)] - shown >= self.margin:
                self._label = best
        return self.mood

    def reset(self) -> None:
        self._scores = None
        self._label = None
        self._last_seen = None


@dataclass
class _Followed:
    """A face followed across frames: its last box, its smoother, when it was last seen."""

    id: int
    box: tuple[int, int, int, int]
    smoother: MoodSmoother
    seen: float


class FaceMoods:
    """One :class:`MoodSmoother` per face in view, so every face box shows its own smoothed mood.

    Faces carry no identity from the detector, so each frame's boxes are matched to
    the faces of earlier frames by overlap (greedy, best overlap first, at least
    ``min_overlap``): a webcam face moves a few pixels between frames, two people
    don't swap places in 1/10 s. A box that matches nothing starts a new smoother;
    a face not seen for ``forget_after`` seconds is dropped with its smoother.
    Matching a handful of boxes costs microseconds per frame.
    """

    def __init__(self, min_overlap: float = 0.3, **smoother_args: float) -> None:
        self.min_overlap = min_overlap
        self._smoother_args = smoother_args
        self.forget_after = float(smoother_args.get("forget_after", 2.0))
        self._faces: list[_Followed] = []
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._faces)

    def update(self, boxes: Sequence[Box], scores: Sequence[np.ndarray], now: float) -> list[tuple[int, Mood | None]]:
        """Feed this frame's boxes and per-face scores; returns ``(face id, smoothed mood)`` per box, in order.

        A face id stays the same while the face is followed, so a caller can keep
        choosing the same face (the one the music follows) from frame to frame.
        """
        pairs = sorted(
            ((iou(box, old.box), i, j) for i, box in enumerate(boxes) for j, old in enumerate(self._faces)),
            reverse=True,
        )
        match: dict[int, int] = {}
        for overlap, i, j in pairs:
            if overlap < self.min_overlap:
                break
            if i not in match and j not in match.values():
                match[i] = j
        result: list[tuple[int, Mood | None]] = []
        seen: list[_Followed] = []
        for i, box in enumerate(boxes):
            if i in match:
                face = self._faces[match[i]]
                face.box, face.seen = box, now
            else:
                face = _Followed(self._next_id, box, MoodSmoother(**self._smoother_args), now)
                self._next_id += 1
            seen.append(face)
            result.append((face.id, face.smoother.update(scores[i], now)))
        matched = set(match.values())
        away = [f for j, f in enumerate(self._faces) if j not in matched and now - f.seen <= self.forget_after]
        for face in away:
            face.smoother.update(None, now)
        self._faces = seen + away
        return result

    def mood(self, face_id: int | None) -> Mood | None:
        """The smoothed mood of a face still followed (also for a moment after it left view), else ``None``."""
        return next((f.smoother.mood for f in self._faces if f.id == face_id), None)

    def reset(self) -> None:
        self._faces = []
