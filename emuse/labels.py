"""The seven emotions, spelled one way everywhere.

FER2013 numbers its classes 0..6 in this order, and every model, playlist file,
history row and chart in eMuse uses these lower-case names. A model whose outputs
come in another order declares its own order in ``meta.json``; it is mapped onto
this one by :func:`reorder_scores`, never by position.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

#: Other spellings people use for the same classes (image-folder data sets, old CSVs).
ALIASES: dict[str, str] = {
    "anger": "angry",
    "disgusted": "disgust",
    "fearful": "fear",
    "scared": "fear",
    "happiness": "happy",
    "sadness": "sad",
    "surprised": "surprise",
    "calm": "neutral",
}

EMOJI: dict[str, str] = {
    "angry": "😠",
    "disgust": "🤢",
    "fear": "😨",
    "happy": "😄",
    "sad": "😢",
    "surprise": "😲",
    "neutral": "😐",
}

#: Colours used for an emotion in drawings and charts (RGB hex), so a mood looks
#: the same on the video, the bars and the history timeline.
COLORS: dict[str, str] = {
    "angry": "#e53935",
    "disgust": "#7cb342",
    "fear": "#8e24aa",
    "happy": "#fdd835",
    "sad": "#1e88e5",
    "surprise": "#fb8c00",
    "neutral": "#90a4ae",
}


def normalize_label(name: str) -> str:
    """Return the canonical label for ``name`` or raise ``ValueError`` naming the choices."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in EMOTIONS:
        raise ValueError(f"unknown emotion {name!r}; expected one of {', '.join(EMOTIONS)}")
    return key


def reorder_scores(scores: np.ndarray, model_labels: Sequence[str]) -> np.ndarray:
    """Map a model's output columns (in ``model_labels`` order) onto :data:`EMOTIONS` order.

    Raises ``ValueError`` when the model's labels are not exactly the seven emotions,
    because a silently shuffled column would report the wrong mood.
    """
    canonical = [normalize_label(label) for label in model_labels]
    if sorted(canonical) != sorted(EMOTIONS):
        raise ValueError(f"model labels {list(model_labels)} are not the seven emotions {list(EMOTIONS)}")
    index = [canonical.index(label) for label in EMOTIONS]
    return np.asarray(scores)[..., index]


def hex_to_bgr(color: str) -> tuple[int, int, int]:
    """OpenCV draws in BGR; our palette is written as RGB hex."""
    color = color.lstrip("#")
    r, g, b = (int(color[i : i + 2], 16) for i in (0, 2, 4))
    return (b, g, r)
