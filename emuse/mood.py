"""The smoothed mood: the one record vision produces and history stores.

Vision's :class:`emuse.vision.smoothing.MoodSmoother` makes a :class:`Mood` from a
person's per-frame scores; the history (:mod:`emuse.history`) records it, the music
picks songs for its label and the UI draws it. Keeping it here, beside
:mod:`emuse.labels`, means none of those imports another domain to name it.
"""

from __future__ import annotations

from dataclasses import dataclass

from emuse.labels import EMOTIONS


@dataclass(frozen=True)
class Mood:
    """The smoothed mood at one moment."""

    label: str
    confidence: float
    scores: tuple[float, ...]  # seven smoothed probabilities, EMOTIONS order

    def as_dict(self) -> dict[str, float]:
        return dict(zip(EMOTIONS, self.scores, strict=True))
