"""Moods for history tests, without running the vision pipeline."""

from __future__ import annotations

from emuse.labels import EMOTIONS
from emuse.mood import Mood


def mood(label: str = "happy", confidence: float = 0.7) -> Mood:
    """A smoothed mood with ``confidence`` on ``label`` and the rest spread evenly (history tests)."""
    scores = [round((1 - confidence) / 6, 6)] * len(EMOTIONS)
    scores[EMOTIONS.index(label)] = confidence
    return Mood(label, confidence, tuple(scores))
