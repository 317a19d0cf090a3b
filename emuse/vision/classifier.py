"""The emotion CNN: one batched call for all faces of a frame, scores in canonical order.

Preprocessing is deliberately thin: crop, grayscale, resize to the model's input
size, and hand over raw 0..255 pixels. Scaling lives *inside* every eMuse model
(a ``Rescaling`` layer), so inference cannot forget it the way the original
project's did.

Two backends run the same registered ``model.keras``:

- ``keras``: the model compiled once with ``tf.function`` (about 4 ms a call on this
  project's 2-core machine). Always available; the reference and the fallback.
- ``tflite``: the same model converted to TensorFlow Lite and run by its interpreter
  with the XNNPACK CPU kernels (about 0.35 ms a call, same scores to 1e-5). The
  ``.tflite`` file is produced from ``model.keras`` automatically and cached beside it
  (``model-<sha>.tflite``, so a retrained model never uses a stale conversion), or
  under ``data_dir()/cache/tflite`` when the model folder is read-only. The interpreter
  comes from the ``ai-edge-litert`` package when it is installed, else from
  TensorFlow's own ``tf.lite``; if neither works the Keras backend stays in use.

With ``backend="auto"`` (the default) a cached conversion is used at once; a missing
one is made in a background thread (a few seconds, once per model version) while
the Keras backend answers, so nobody waits for it. A new conversion's scores are
checked against the Keras model's on a probe batch before it is used.

Keras is loaded only when needed: with a cached conversion and ``ai-edge-litert``
installed, a process never imports TensorFlow at all. Measured on this project's
machine: 0.6 s and about 100 MB resident to the first classified face, against
7.7 s and about 780 MB through TensorFlow.

Test-time augmentation and ensembles are properties of the registered model, so
``evaluate``, ``analyze``, the Live page and the bench score faces the same way:

- ``"inference": {"tta": "mirror"}`` in ``meta.json`` scores each face and its
  horizontal mirror in one batched call and averages the two probability vectors.
- A folder whose ``meta.json`` has ``"ensemble": {"members": [{"model": NAME,
  "weight": W}, ...]}`` (and no ``model.keras``) is the weighted mean of its members'
  scores; each member keeps its own TTA.
- ``"framing"`` says how a Haar-convention face box becomes the crop the model was
  trained on (:mod:`emuse.vision.framing`).
- ``"inference": {"quantization": "dynamic"}`` (or ``"int8"``) runs a quantized
  conversion instead of the float one: 2-3x faster a face for a fraction of a point
  (:mod:`emuse.vision.litert` has the measurements).
- ``"inference": {"log_bias": {"disgust": 0.4, ...}}`` adds a per-class bias to the
  log-scores (chosen on PublicTest by ``models/make_default.py``): the rare classes'
  decision threshold, so disgust and fear are not drowned by the common ones.
- Members of an ensemble may take different input sizes: faces are resized to each.

One classifier is loaded per process and shared by every video session (the UI
wraps it in ``st.cache_resource``). Calls are serialised with a lock: a forward pass
takes well under a few milliseconds, and a lock is simpler to reason about than
relying on Keras' or the interpreter's thread safety (the TFLite interpreter is
documented as not thread-safe).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from emuse import config, registry
from emuse.labels import EMOTIONS, reorder_scores
from emuse.quiet import import_keras
from emuse.vision import litert
from emuse.vision.calibration import shift_log_scores
from emuse.vision.detect import Box
from emuse.vision.framing import Framing, crop, model_crop_box

log = logging.getLogger(__name__)

BACKENDS = ("auto", "tflite", "keras")
#: Test-time augmentations a model's meta.json may ask for.
TTA_MODES = ("none", "mirror")


class EmotionClassifier:
    """A registered model, compiled for fast repeated calls, safe to share between threads."""

    def __init__(self, model: str | Path | None = None, *, backend: str = "auto") -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        self.info = registry.resolve(model)
        height, width, channels = self.info.input_shape
        self.size = (width, height)
        self.channels = channels
        self.framing = Framing.from_meta(self.info.meta)
        inference = self.info.meta.get("inference") or {}
        self.tta = str(inference.get("tta", "none"))
        #: Which TFLite conversion runs the network (:mod:`emuse.vision.litert`).
        self.quantization = str(inference.get("quantization", "none"))
        checks = (("tta", self.tta, TTA_MODES), ("quantization", self.quantization, litert.QUANTIZATIONS))
        for key, value, allowed in checks:
            if value not in allowed:
                raise registry.ModelError(
                    f"{self.info.path / 'meta.json'}: inference.{key} {value!r} must be one of {', '.join(allowed)}"
                )
        bias = inference.get("log_bias") or {}
        unknown = set(bias) - set(EMOTIONS)
        if unknown:
            raise registry.ModelError(
                f"{self.info.path / 'meta.json'}: inference.log_bias names {sorted(unknown)}; use the seven emotions"
            )
        self.log_bias = np.array([float(bias.get(e, 0.0)) for e in EMOTIONS])
        #: An ensemble's members and their weights (empty for a single network).
        self.members: list[tuple[EmotionClassifier, float]] = [
            (EmotionClassifier(name, backend=backend), weight) for name, weight in self.info.members
        ]
        self._lock = threading.Lock()  # one forward pass at a time
        self._keras_lock = threading.Lock()  # one lazy Keras load
        self._model: Any = None
        self._forward: Any = None
        self._tflite: litert.Runner | None = None
        self._converter: threading.Thread | None = None
        #: Why the TFLite backend is not in use, when it was wanted and is not.
        self.backend_note = ""
        self._missing = ""  # the int8 file the float conversion stands in for, until that is said

        if not self.members:  # an ensemble's members loaded their own networks above
            self._load_backend(backend)

    def _load_backend(self, backend: str) -> None:
        """Load this network's Keras model or its TFLite conversion, as ``backend`` asks."""
        if backend == "keras":
            self._keras()
        elif backend == "tflite":
            self._tflite = self._load_tflite(convert=True)
            if self._tflite is None:
                raise registry.ModelError(f"{self.info.name}: no TFLite backend ({self.backend_note})")
        else:
            self._tflite = self._load_tflite(convert=False)
            if self._tflite is None:
                self._keras()  # answers now (and raises ModelError for a broken model.keras)
                if litert.interpreter_class() is not None:
                    # Not a daemon: a process that ends (a short CLI run) waits for the file rather
                    # than killing TensorFlow halfway through writing it.
                    self._converter = threading.Thread(target=self._convert_in_background, name="emuse-tflite")
                    self._converter.start()

    @property
    def model(self) -> Any:
        """The Keras model (loaded on first use when a cached TFLite conversion made it unnecessary)."""
        if self.members:
            raise registry.ModelError(f"{self.info.name} is an ensemble: its members each have a Keras model")
        return self._keras()

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def backend(self) -> str:
        """The backend answering now: ``"tflite"`` or ``"keras"`` (an ensemble: its slowest member's)."""
        if self.members:
            return "keras" if any(m.backend == "keras" for m, _ in self.members) else "tflite"
        return "tflite" if self._tflite is not None else "keras"

    @property
    def tflite_runtime(self) -> str | None:
        """Which TFLite interpreter runs the model: ``"ai_edge_litert"``, ``"tensorflow"`` or ``None``."""
        if self.members:
            return self.members[0][0].tflite_runtime
        return self._tflite.runtime if self._tflite is not None else None

    def wait_ready(self, timeout: float | None = None) -> str:
        """Wait for a background conversion (if any) to finish; returns :attr:`backend`."""
        for member, _ in self.members:
            member.wait_ready(timeout)
        if self._converter is not None:
            self._converter.join(timeout)
        return self.backend

    def crop_faces(self, gray: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """Face crops framed as the model's training faces were, resized to its input: (N, H, W) uint8."""
        width, height = self.size
        batch = np.empty((len(boxes), height, width), dtype=np.uint8)
        for i, box in enumerate(boxes):
            face = crop(gray, model_crop_box(box, self.framing))
            cv2.resize(face, (width, height), dst=batch[i], interpolation=cv2.INTER_AREA)
        return batch

    def predict_batch(self, faces: np.ndarray) -> np.ndarray:
        """Scores (N, 7) in :data:`~emuse.labels.EMOTIONS` order for an (N, H, W) uint8 batch.

        With mirror TTA the faces and their mirrors go through the network in one call
        and the two halves' probabilities are averaged; an ensemble averages its members'
        scores with their weights.
        """
        if len(faces) == 0:
            return np.zeros((0, len(EMOTIONS)), dtype=np.float32)
        if self.members:
            total = sum(weight for _, weight in self.members)
            mixed = sum(weight * member.predict_batch(resized(faces, member.size)) for member, weight in self.members)
            return self._biased(mixed / total)
        if self.tta == "mirror":
            faces = np.concatenate([faces, faces[:, :, ::-1]])
        x = faces.astype(np.float32)[..., None]
        if self.channels == 3:
            x = np.repeat(x, 3, axis=-1)
        with self._lock:
            scores = self._tflite.run(x) if self._tflite is not None else self._run_keras(x)
        scores = reorder_scores(scores, self.info.labels)
        if self.tta == "mirror":
            half = len(scores) // 2
            scores = (scores[:half] + scores[half:]) / 2
        return self._biased(scores)

    def _biased(self, scores: np.ndarray) -> np.ndarray:
        if not self.log_bias.any():
            return scores
        return shift_log_scores(scores, self.log_bias).astype(np.float32)

    def classify(self, gray: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """Scores for every box of one grayscale frame, in one batched call."""
        return self.predict_batch(self.crop_faces(gray, boxes))

    # -- backends -------------------------------------------------------------------------

    def _keras(self) -> Any:
        """Load, check and compile the Keras model once; raise :class:`~emuse.registry.ModelError` if it is bad."""
        with self._keras_lock:
            if self._model is not None:
                return self._model
            keras = import_keras()
            import tensorflow as tf

            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = keras.models.load_model(self.info.model_file, compile=False)
            except Exception as exc:  # Keras raises many types for a bad file
                raise registry.ModelError(
                    f"{self.info.model_file} could not be loaded ({type(exc).__name__}: {exc}); "
                    "retrain it or restore it from git"
                ) from exc
            expected = (None, *self.info.input_shape)
            if tuple(model.input_shape) != expected:
                raise registry.ModelError(
                    f"{self.info.model_file} takes input {model.input_shape}, but meta.json says {list(expected)}"
                )
            if model.output_shape[-1] != len(EMOTIONS):
                raise registry.ModelError(
                    f"{self.info.model_file} has {model.output_shape[-1]} outputs; "
                    f"an emotion model needs {len(EMOTIONS)}"
                )
            spec = tf.TensorSpec(shape=(None, *self.info.input_shape), dtype=tf.float32)
            forward = tf.function(lambda x: model(x, training=False), input_signature=[spec])
            forward(np.zeros((1, *self.info.input_shape), dtype=np.float32))  # trace once, now, not on a face
            self._forward, self._model = forward, model
            return model

    def _run_keras(self, x: np.ndarray) -> np.ndarray:
        if self._forward is None:
            self._keras()
        return self._forward(x).numpy()

    def tflite_path(self) -> Path:
        """Where the conversion is cached: beside ``model.keras``, named by its content and the quantization."""
        digest = hashlib.sha256(self.info.model_file.read_bytes()).hexdigest()[:16]
        name = litert.file_name(digest, self.quantization)
        beside = self.info.path / name
        if beside.is_file() or os.access(self.info.path, os.W_OK):
            return beside
        return config.data_dir() / "cache" / "tflite" / self.info.name / name

    def _load_tflite(self, convert: bool) -> litert.Runner | None:
        """The checked TFLite runner, converting first if asked; ``None`` (and a note) if unusable.

        An int8 model whose int8 file is missing runs its float conversion: the int8 one
        needs FER2013's faces for its activation ranges, which only ``models/make_default.py``
        has. That is said once, when the float one is in use (not before an error about a
        broken model, which would only bury it).
        """
        if self.quantization == "int8":
            with contextlib.suppress(OSError):  # an unreadable model.keras is reported below
                path = self.tflite_path()
                if not path.is_file():
                    self._missing, self.quantization = path.name, "none"
        runner = self._load_tflite_file(convert)
        if runner is not None and self._missing:
            log.warning("%s: no %s (models/make_default.py makes it); using the float one", self.name, self._missing)
            self._missing = ""
        return runner

    def _load_tflite_file(self, convert: bool) -> litert.Runner | None:
        """:meth:`_load_tflite` for the conversion :attr:`quantization` names.

        With ``convert``, a cached file that fails to load or to match is converted again
        (a half-written or foreign file heals itself); without it, nothing is written.
        """
        interpreter_class = litert.interpreter_class()
        if interpreter_class is None:
            self.backend_note = "no TFLite interpreter (install ai-edge-litert)"
            return None
        try:
            path = self.tflite_path()
            if path.is_file():
                try:
                    return self._checked_runner(interpreter_class, path)
                except Exception as exc:
                    if not convert:
                        raise
                    log.warning("%s: cached %s is unusable (%s); converting again", self.info.name, path.name, exc)
            elif not convert:
                return None
            litert.convert(self._keras(), path, self.quantization)
            return self._checked_runner(interpreter_class, path)
        except Exception as exc:  # a failed conversion must never stop the app: Keras still works
            self.backend_note = f"TFLite unavailable ({type(exc).__name__}: {exc})"
            log.warning("%s: %s; using Keras", self.info.name, self.backend_note)
            return None

    def _checked_runner(self, interpreter_class: Any, path: Path) -> litert.Runner:
        """Load ``path``; check its shapes, and its scores against the Keras model's when that is loaded.

        A cached file is named by the hash of the ``model.keras`` it was converted from
        and was checked against it when it was written, so a later process can trust it
        without loading TensorFlow and Keras (about 6 s and 700 MB on this project's
        machine, against 0.06 s and 15 MB for LiteRT).
        """
        runner = litert.Runner(interpreter_class, path.read_bytes())
        if runner.input_shape != self.info.input_shape or runner.outputs != len(EMOTIONS):
            raise ValueError(
                f"{path.name} takes {list(runner.input_shape)} and gives {runner.outputs} scores; "
                f"meta.json says {list(self.info.input_shape)} and {len(EMOTIONS)}"
            )
        if self._model is not None:
            probe = np.random.default_rng(0).integers(0, 256, (2, *self.info.input_shape)).astype(np.float32)
            error = float(np.max(np.abs(runner.run(probe) - self._run_keras(probe))))
            if not error <= litert.TOLERANCE[self.quantization]:
                raise ValueError(f"the converted model's scores differ from Keras by {error:.2g}")
        return runner

    def _convert_in_background(self) -> None:
        runner = self._load_tflite(convert=True)
        if runner is not None:
            with self._lock:
                self._tflite = runner
                self.backend_note = ""


def resized(faces: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An (N, H, W) batch at ``size`` (width, height): how 48x48 FER2013 faces meet a larger model."""
    width, height = size
    if faces.shape[1:3] == (height, width) or len(faces) == 0:
        return faces
    interpolation = cv2.INTER_AREA if faces.shape[1] > height else cv2.INTER_LINEAR
    return np.stack([cv2.resize(face, (width, height), interpolation=interpolation) for face in faces])
