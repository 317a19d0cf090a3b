"""Mood space: each emotion and each song as a point in (valence, energy), both 0..1.

Why a space and not seven boxes: the classifier's seven scores rarely name one
emotion alone (a face is "mostly neutral, a bit sad"), and songs are not
"happy" or "sad" either. Spotify measured every starter song's *valence*
(musical positiveness) and *energy* (intensity); Russell's circumplex model of
affect (Russell 1980, "A circumplex model of affect") places emotions on a
circle around the same two axes, valence and arousal. Putting both on one plane
lets eMuse play songs *between* emotions and walk a path from one mood to another.

The circle is drawn where this project's songs lie (centre and radii below were
fitted by eye to ``data_moods.csv``: its songs' valence spans 0.04..0.98, energy
0.00..0.99, medians 0.28/0.50). Angles follow Russell's figure (degrees,
counter-clockwise from "pleasant"): happy 15, surprise ("astonished") 75, angry
100, fear ("afraid") 115, disgust 140 (not on Russell's circle; placed between
"annoyed" and "miserable", as later circumplex studies do), sad 210. Neutral is
the centre of Russell's circle, but a neutral face is best met with calm music,
so it sits at "calm/relaxed", 300.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from emuse.labels import EMOTIONS, normalize_label

Point = tuple[float, float]

CENTRE: Point = (0.45, 0.55)
RADII: Point = (0.35, 0.40)  # valence, energy

#: Russell-circle angle of each emotion, in degrees (see the module docstring).
ANGLES: dict[str, float] = {
    "happy": 15.0,
    "surprise": 75.0,
    "angry": 100.0,
    "fear": 115.0,
    "disgust": 140.0,
    "sad": 210.0,
    "neutral": 300.0,
}


def _on_circle(degrees: float) -> Point:
    rad = math.radians(degrees)
    return (round(CENTRE[0] + RADII[0] * math.cos(rad), 3), round(CENTRE[1] + RADII[1] * math.sin(rad), 3))


#: Each emotion's target point (valence, energy). happy (0.788, 0.654), surprise (0.541, 0.936),
#: angry (0.389, 0.944), fear (0.302, 0.913), disgust (0.182, 0.807), sad (0.147, 0.35),
#: neutral (0.625, 0.204).
TARGETS: dict[str, Point] = {e: _on_circle(ANGLES[e]) for e in EMOTIONS}

#: Where "lift my mood" goes: first toward calm, then toward happy (the iso principle).
CALM: Point = TARGETS["neutral"]
HAPPY: Point = TARGETS["happy"]


def distance(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def mood_point(scores: Sequence[float] | Mapping[str, float]) -> Point:
    """The point of a mood: the seven scores' weighted mean of the emotions' targets.

    ``scores`` are in :data:`EMOTIONS` order (or a mapping by label); they need not sum
    to one. A face read 60 % neutral and 40 % sad lands between calm and sad.
    """
    if isinstance(scores, Mapping):
        weights = [max(0.0, float(scores.get(e, 0.0))) for e in EMOTIONS]
    else:
        if len(scores) != len(EMOTIONS):
            raise ValueError(f"a mood needs {len(EMOTIONS)} scores in EMOTIONS order, got {len(scores)}")
        weights = [max(0.0, float(s)) if math.isfinite(float(s)) else 0.0 for s in scores]
    total = sum(weights)
    if total <= 0:
        raise ValueError("a mood's scores are all zero; there is no mood to place")
    v = sum(w * TARGETS[e][0] for w, e in zip(weights, EMOTIONS, strict=True)) / total
    en = sum(w * TARGETS[e][1] for w, e in zip(weights, EMOTIONS, strict=True)) / total
    return (v, en)


def label_point(emotion: str) -> Point:
    return TARGETS[normalize_label(emotion)]


def goes_via_calm(start: Point) -> bool:
    """Unpleasant moods (valence below the circle's centre) are calmed first, then lifted."""
    return start[0] < CENTRE[0]


def lift_path(start: Point, n: int) -> list[Point]:
    """``n`` points from ``start`` toward calm (for unpleasant moods) and then happy, evenly spaced.

    The iso principle of music therapy: the first song meets the listener where
    they are (``start`` itself), each next one is a step along the path, the last
    one is happy. A mood already at happy stays there.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    corners = [start, CALM, HAPPY] if goes_via_calm(start) else [start, HAPPY]
    legs = [distance(a, b) for a, b in itertools.pairwise(corners)]
    total = sum(legs)
    if n == 1 or total < 1e-9:
        return [start] * n
    points = []
    for i in range(n):
        along = total * i / (n - 1)
        for (a, b), leg in zip(itertools.pairwise(corners), legs, strict=True):
            if along <= leg or (a, b) == (corners[-2], corners[-1]):
                t = 0.0 if leg < 1e-9 else min(1.0, along / leg)
                points.append((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))
                break
            along -= leg
    return points


def nearest_emotion(point: Point) -> str:
    """The emotion whose target is nearest ``point`` (ties: :data:`EMOTIONS` order)."""
    return min(EMOTIONS, key=lambda e: distance(point, TARGETS[e]))
