"""The emotion CNN: one batched call for all faces of a frame, scores in canonical order.

Preprocessing is deliberately thin: crop, grayscale, resize to the model's input
size, and hand over raw 0..255 pixels. Scaling lives *inside* every eMuse model
(a ``Rescaling`` layer), so inference cannot forget it the way the original
project's did.

One classifier is loaded per process and shared by every video session (the UI
wraps it in ``st.cache_resource``). Calls are serialised with a lock: a forward pass
takes a few milliseconds, and a lock is simpler to reason about than relying on
Keras' thread safety.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from emuse import registry
from emuse.labels import EMOTIONS, reorder_scores
from emuse.quiet import import_keras
from emuse.vision.detect import Box


class EmotionClassifier:
    """A registered model, compiled for fast repeated calls."""

    def __init__(self, model: str | Path | None = None) -> None:
        self.info = registry.resolve(model)
        keras = import_keras()
        import tensorflow as tf

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.model = keras.models.load_model(self.info.model_file, compile=False)
        except Exception as exc:  # Keras raises many types for a bad file
            raise registry.ModelError(
                f"{self.info.model_file} could not be loaded ({type(exc).__name__}: {exc}); "
                "retrain it or restore it from git"
            ) from exc
        expected = (None, *self.info.input_shape)
        if tuple(self.model.input_shape) != expected:
            raise registry.ModelError(
                f"{self.info.model_file} takes input {self.model.input_shape}, but meta.json says {list(expected)}"
            )
        if self.model.output_shape[-1] != len(EMOTIONS):
            raise registry.ModelError(
                f"{self.info.model_file} has {self.model.output_shape[-1]} outputs; "
                f"an emotion model needs {len(EMOTIONS)}"
            )
        height, width, channels = self.info.input_shape
        self.size = (width, height)
        self.channels = channels
        spec = tf.TensorSpec(shape=(None, height, width, channels), dtype=tf.float32)
        self._forward = tf.function(lambda x: self.model(x, training=False), input_signature=[spec])
        self._lock = threading.Lock()
        self.predict_batch(np.zeros((1, height, width), dtype=np.uint8))  # trace once, now, not on the first face

    @property
    def name(self) -> str:
        return self.info.name

    def crop_faces(self, gray: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """Square-ish face crops resized to the model's input, as an (N, H, W) uint8 batch."""
        width, height = self.size
        batch = np.empty((len(boxes), height, width), dtype=np.uint8)
        for i, (x, y, w, h) in enumerate(boxes):
            crop = gray[max(0, y) : y + h, max(0, x) : x + w]
            batch[i] = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)
        return batch

    def predict_batch(self, faces: np.ndarray) -> np.ndarray:
        """Scores (N, 7) in :data:`~emuse.labels.EMOTIONS` order for an (N, H, W) uint8 batch."""
        if len(faces) == 0:
            return np.zeros((0, len(EMOTIONS)), dtype=np.float32)
        x = faces.astype(np.float32)[..., None]
        if self.channels == 3:
            x = np.repeat(x, 3, axis=-1)
        with self._lock:
            scores = self._forward(x).numpy()
        return reorder_scores(scores, self.info.labels)

    def classify(self, gray: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """Scores for every box of one grayscale frame, in one batched call."""
        return self.predict_batch(self.crop_faces(gray, boxes))
