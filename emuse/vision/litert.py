"""LiteRT for the emotion models: converting a Keras model (float or quantized) and running it.

Three conversions of the same ``model.keras``, named in a model's ``meta.json`` as
``"inference": {"quantization": ...}``:

- ``"none"``: float32 weights and arithmetic; scores match Keras to 1e-5.
- ``"dynamic"``: int8 weights, activations quantized on the fly (XNNPACK's QD8 kernels).
  Needs no data, so the classifier makes it from ``model.keras`` alone. Measured on
  this project's 2-core CPU, one face per call: emuse_resnet 0.39 -> 0.15 ms, PublicTest
  66.84 -> 66.73% (mirror TTA 67.60 -> 67.54%); mini-Xception gets *slower* (0.29 ->
  0.41 ms: its depthwise convolutions stay float and pay the conversions).
- ``"int8"``: weights and activations int8, float32 in and out. The activations' ranges
  come from representative faces, so only a script with FER2013 at hand
  (``models/make_default.py``) can make it; without the file the float conversion is
  used. Measured: emuse_resnet 0.13 ms, 66.26% (mirror 67.65%); mini-Xception 0.29 ->
  0.15 ms, 65.23 -> 65.06% (mirror 66.31 -> 66.17%).

A quantized model's scores differ from Keras' by up to about 0.04 on random pixels
(measured), so its conversion is checked with a looser bound than a float one's.
"""

from __future__ import annotations

import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from emuse.files import atomic_write_bytes
from emuse.quiet import import_keras, silenced_stderr

QUANTIZATIONS = ("none", "dynamic", "int8")
#: Largest difference allowed between a conversion's scores and the Keras model's on a probe batch.
TOLERANCE = {"none": 1e-3, "dynamic": 0.1, "int8": 0.1}
#: LiteRT prints "Created XNNPACK delegate" straight to file descriptor 2; ``silenced_stderr``
#: swaps fd 2 process-wide, so every interpreter creation (emotion models and BlazeFace) takes turns.
STDERR_LOCK = threading.Lock()


def interpreter_class() -> Any | None:
    """LiteRT's interpreter if ``ai-edge-litert`` is installed, else TensorFlow's, else ``None``."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    try:
        import_keras()  # TensorFlow, imported without its start-up log lines
        import tensorflow as tf

        return tf.lite.Interpreter
    except (ImportError, AttributeError):
        return None


def file_name(digest: str, quantization: str) -> str:
    """``model-<digest>.tflite`` for the float conversion, ``model-<digest>-<quantization>.tflite`` otherwise."""
    return f"model-{digest}.tflite" if quantization == "none" else f"model-{digest}-{quantization}.tflite"


class Runner:
    """One interpreter, resized when the number of faces changes. Not thread-safe: callers hold a lock."""

    def __init__(self, interpreter_class: Any, content: bytes) -> None:
        # tf.lite warns that it will move to ai-edge-litert (which we already prefer when installed).
        with STDERR_LOCK, silenced_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # One thread: a call is well under a millisecond, and the other core is better spent on
            # face detection or another session.
            self._interpreter = interpreter_class(model_content=content, num_threads=1)
            self._interpreter.allocate_tensors()
        input_details = self._interpreter.get_input_details()[0]
        output_details = self._interpreter.get_output_details()[0]
        self._input, self._output = input_details["index"], output_details["index"]
        self.input_shape = tuple(int(v) for v in input_details["shape"][1:])
        self.outputs = int(output_details["shape"][-1])
        self._shape = tuple(int(v) for v in input_details["shape"])
        self.runtime = interpreter_class.__module__.split(".")[0]

    def run(self, x: np.ndarray) -> np.ndarray:
        if x.shape != self._shape:
            self._interpreter.resize_tensor_input(self._input, list(x.shape))
            self._interpreter.allocate_tensors()
            self._shape = x.shape
        self._interpreter.set_tensor(self._input, np.ascontiguousarray(x, dtype=np.float32))
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()


def convert(model: Any, path: Path, quantization: str = "none", representative: np.ndarray | None = None) -> None:
    """Convert a Keras model to ``path`` (atomically; the model's other conversions beside it removed).

    ``representative`` (N, H, W, C) float32 raw pixels is required for ``"int8"``: a few
    hundred training faces set the activations' ranges. Goes through a SavedModel export
    with ``verbose=False`` because the direct ``from_keras_model`` route prints the export
    summary to stdout, which the CLI reserves for results.
    """
    import tensorflow as tf

    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, not {quantization!r}")
    if quantization == "int8" and (representative is None or len(representative) == 0):
        raise ValueError("an int8 conversion needs representative faces (a few hundred training images)")

    def faces() -> Iterator[list[np.ndarray]]:
        assert representative is not None
        for face in representative:
            yield [face[None].astype(np.float32)]

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="emuse-export-") as export_dir:
        model.export(export_dir, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(export_dir)
        if quantization != "none":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantization == "int8":
            converter.representative_dataset = faces
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        content = converter.convert()
    atomic_write_bytes(path, content)
    for old in path.parent.glob("model-*.tflite"):
        if old != path:
            old.unlink(missing_ok=True)
