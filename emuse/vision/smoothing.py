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

import numpy as np

from emuse.labels import EMOTIONS
from emuse.mood import Mood


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
