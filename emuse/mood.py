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


def in_words(mood: Mood) -> str:
    """How sure the smoothed mood is, in words a class understands: "sure", "fairly sure", "unsure: mixed ...".

    The thresholds follow the smoothed top score and its lead over the runner-up:
    above 0.75 the picture is clear; above 0.5 with a lead of 0.2 it usually holds;
    below that two moods compete, and naming both says more than a percentage.
    """
    ranked = sorted(zip(mood.scores, EMOTIONS, strict=True), reverse=True)
    (top, _), (second, runner_up) = ranked[0], ranked[1]
    if top >= 0.75:
        return "sure"
    if top >= 0.5 and top - second >= 0.2:
        return "fairly sure"
    other = runner_up if runner_up != mood.label else ranked[0][1]
    return f"unsure: mixed between {mood.label} and {other}"
