"""Evaluate a model on a labeled data set: the figures of :mod:`emuse.training.metrics`.

Works for any registered model, whatever its input size or output order: the 48x48
FER2013 images are resized to the model's input, raw 0..255 pixels are fed (scaling
is inside every eMuse model), and the outputs are mapped to canonical order through
the labels in ``meta.json``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from emuse import registry
from emuse.labels import EMOTIONS, reorder_scores
from emuse.quiet import import_keras
from emuse.training.data import FerData, load, split_key
from emuse.training.metrics import classification_metrics
from emuse.vision.classifier import EmotionClassifier, resized

#: How the Kaggle CSV calls each split (reported with the metrics).
CSV_SPLIT_NAMES = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}


def split_name(data: FerData, key: str) -> str:
    """What a split is called in words: its CSV name, its folder, or where it was carved from."""
    if data.layout == "csv":
        return CSV_SPLIT_NAMES[key]
    if key == "val" and data.split_sources.get("val", "") != "val/ folder":
        return "validation (from train/)"
    return f"{key}/"


def load_model(info: registry.ModelInfo) -> Any:
    """The Keras model of a registry entry, with a clear error when the file is broken."""
    keras = import_keras()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return keras.models.load_model(info.model_file, compile=False)
    except Exception as exc:  # Keras raises many types for a bad file
        raise registry.ModelError(f"{info.model_file} could not be loaded ({type(exc).__name__}: {exc})") from exc


def predict_scores(model: Any, x: np.ndarray, labels: tuple[str, ...] = EMOTIONS, batch_size: int = 256) -> np.ndarray:
    """Scores (N, 7) in canonical order for (N, H, W) uint8 images of any size."""
    _, height, width, channels = model.input_shape
    x = resized(x, (width, height))
    batch = x.astype(np.float32)[..., None]
    if channels == 3:
        batch = np.repeat(batch, 3, axis=-1)
    scores = (
        np.concatenate(
            [np.asarray(model(batch[i : i + batch_size], training=False)) for i in range(0, len(batch), batch_size)]
        )
        if len(batch)
        else np.zeros((0, len(EMOTIONS)), np.float32)
    )
    return reorder_scores(scores, labels)


def evaluate_arrays(model: Any, x: np.ndarray, y: np.ndarray, labels: tuple[str, ...] = EMOTIONS) -> dict[str, Any]:
    """Metrics of ``model`` on images ``x`` with canonical label indexes ``y``."""
    predictions = predict_scores(model, x, labels).argmax(axis=1)
    return classification_metrics(y, predictions)


def evaluate(
    model: str | Path | None, data_path: str | Path, split: str = "test", root: Path | None = None
) -> dict[str, Any]:
    """Evaluate a registered model (name or folder) on ``split`` of a data set (CSV, folders, zip).

    Faces are scored by :class:`~emuse.vision.classifier.EmotionClassifier`, the class the Live
    page and ``analyze`` use, so TTA, ensembles and the TFLite conversion are measured as they run.
    """
    info = registry.resolve(model, root)
    data = load(data_path)
    key = split_key(split)
    part = data.split(key)
    classifier = EmotionClassifier(info.path)
    classifier.wait_ready()
    scores = classifier_scores(classifier, part.x)
    metrics = classification_metrics(part.y, scores.argmax(axis=1))
    return {"model": info.name, "split": split_name(data, key), "data": data.source, **metrics}


def classifier_scores(classifier: EmotionClassifier, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Scores (N, 7) of (N, 48, 48) FER-framed images through the classifier (resized to its input)."""
    x = resized(x, classifier.size)
    parts = [classifier.predict_batch(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, len(EMOTIONS)), np.float32)
