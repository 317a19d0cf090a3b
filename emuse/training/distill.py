"""Knowledge distillation: train a network on a teacher's scores as well as on the labels.

A FER2013 label is one word for a face that is often two things at once (a sad face
with some fear, a surprised one with some happiness); a teacher's scores say how much
of each, which a one-hot label cannot. The target of each training face is

    target = weight * teacher scores + (1 - weight) * one-hot label

with the teacher scored once, before training, on the un-augmented faces through
:class:`~emuse.vision.classifier.EmotionClassifier` (so its TTA and ensemble members
count as they do on the Live page). With ``weight`` at most 0.5 the target's largest
entry is always the true label, so "accuracy" still means agreement with the label.

The teacher is typically the shipped ensemble: one network that learns from three
(Hinton et al. 2015, "Distilling the Knowledge in a Neural Network").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from emuse import registry
from emuse.labels import EMOTIONS
from emuse.training.evaluate import classifier_scores
from emuse.vision.classifier import EmotionClassifier


def one_hot(y: np.ndarray) -> np.ndarray:
    """(N,) label indexes as (N, 7) float32 one-hot rows."""
    return np.eye(len(EMOTIONS), dtype=np.float32)[np.asarray(y, dtype=np.int64)]


def check_weight(weight: float) -> None:
    """Refuse a teacher weight that could make the target disagree with the label."""
    if not 0 < float(weight) <= 0.5:
        raise ValueError(
            f"the teacher's weight must be above 0 and at most 0.5 (so the label stays the target's "
            f"largest part), got {weight}"
        )


def soft_targets(teacher: str | Path, x: np.ndarray, y: np.ndarray, weight: float) -> np.ndarray:
    """(N, 7) training targets: ``weight`` of the registered ``teacher``'s scores on faces ``x``, the rest labels."""
    check_weight(weight)
    classifier = EmotionClassifier(teacher)
    classifier.wait_ready()
    scores = classifier_scores(classifier, x)
    # An int8 network's scores come in steps of 1/256 and need not sum to 1.
    scores = scores / np.maximum(scores.sum(axis=1, keepdims=True), 1e-12)
    return (weight * scores + (1 - weight) * one_hot(y)).astype(np.float32)


def describe(info: registry.ModelInfo | None, weight: float) -> dict[str, Any] | None:
    """Which teacher the targets came from, how much of them, and how good it was (for meta.json).

    An ensemble teacher's members and weights are copied, not just its name: the shipped default is
    re-chosen whenever a network joins, so the name alone would later point at a different model.
    """
    if info is None:
        return None
    return {
        "teacher": info.name,
        "weight": float(weight),
        "target": f"{weight:g} x the teacher's scores (its TTA and members as registered) + {1 - weight:g} x one-hot",
        "teacher_accuracy": (info.meta.get("metrics") or {}).get("accuracy"),
        "teacher_members": [{"model": name, "weight": w} for name, w in info.members] or None,
    }
