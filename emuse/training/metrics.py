"""Accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix, in plain numpy.

Why not scikit-learn: these are a few lines, and the page must read and draw metrics
without heavy imports. The dictionary :func:`classification_metrics` returns is what
``meta.json`` stores under ``metrics`` and what ``python -m emuse evaluate --json`` prints:
rows of the confusion matrix are the true label, columns the predicted one, both in
:data:`~emuse.labels.EMOTIONS` order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emuse.labels import EMOTIONS


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, classes: int = len(EMOTIONS)) -> np.ndarray:
    """``counts[t, p]`` = number of images of true class t predicted as p."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    return np.bincount(y_true * classes + y_pred, minlength=classes * classes).reshape(classes, classes)


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """All evaluation figures as JSON-ready Python types.

    A class with no images (support 0) gets recall 0 and is still listed, so the
    table always has seven rows; precision of a never-predicted class is 0 as well.
    """
    counts = confusion_counts(y_true, y_pred)
    support, hits, precision, recall, f1 = _rates(counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalized = np.where(support[:, None] > 0, counts / support[:, None], 0.0)
    total = int(counts.sum())
    return {
        "n": total,
        "accuracy": float(hits.sum() / total) if total else 0.0,
        "macro_f1": float(f1.mean()),
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(EMOTIONS)
        },
        "confusion_matrix": {
            "labels": list(EMOTIONS),
            "counts": counts.astype(int).tolist(),
            "normalized": np.round(normalized, 4).tolist(),
        },
    }


def many_metrics(y_true: np.ndarray, predictions: np.ndarray, classes: int = len(EMOTIONS)) -> dict[str, np.ndarray]:
    """Accuracy, macro F1 and per-class recall of many predictions of the same images at once.

    ``predictions`` is (B, N): B candidate predictions of N images (for example one per decision bias).
    Each row's figures are exactly :func:`classification_metrics`' for that row, from one ``bincount``
    instead of B: ``models/make_default.py`` scores ~2 million candidates this way.
    """
    y_true, predictions = np.asarray(y_true, dtype=np.int64), np.asarray(predictions, dtype=np.int64)
    rows = len(predictions)
    cells = (np.arange(rows)[:, None] * classes + y_true[None, :]) * classes + predictions
    counts = np.bincount(cells.ravel(), minlength=rows * classes * classes).reshape(rows, classes, classes)
    _, hits, _, recall, f1 = _rates(counts)
    return {"accuracy": hits.sum(axis=1) / max(len(y_true), 1), "macro_f1": f1.mean(axis=1), "recall": recall}


def _rates(counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Support, hits, precision, recall and F1 per class of one (7, 7) confusion matrix or a stack of them.

    A class with no images gets recall 0, a class never predicted precision 0 (and F1 0 when both are).
    """
    support, predicted = counts.sum(axis=-1), counts.sum(axis=-2)
    hits = np.diagonal(counts, axis1=-2, axis2=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, hits / predicted, 0.0)
        recall = np.where(support > 0, hits / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return support, hits, precision, recall, f1
