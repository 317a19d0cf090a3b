"""Quantized LiteRT conversions: named in meta.json, made from model.keras, the same model to within a bound."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from emuse import registry
from emuse.vision import litert
from emuse.vision.classifier import EmotionClassifier
from tests.support.paths import ROOT

SHIPPED = ROOT / "models" / "fer2013_mini_xception"


def registered(root: Path, name: str, quantization: str | None) -> Path:
    """The shipped network copied to ``root/name`` without its conversions, asking for ``quantization``."""
    folder = root / name
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("*.tflite"))
    meta = json.loads((folder / "meta.json").read_text())
    meta["inference"] = {} if quantization is None else {"quantization": quantization}
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def faces(astronaut_bgr: np.ndarray) -> np.ndarray:
    """The astronaut's face at the model's 64x64, shifted a little: four real faces."""
    gray = cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2GRAY)
    return np.stack([cv2.resize(gray[40 + d : 150 + d, 170 + d : 280 + d], (64, 64)) for d in (-8, -4, 4, 8)])


def test_a_dynamic_conversion_is_made_from_the_model_alone_and_agrees_with_keras(root: Path, faces: np.ndarray) -> None:
    folder = registered(root, "dyn", "dynamic")
    reference = EmotionClassifier("dyn", backend="keras").predict_batch(faces)
    quantized = EmotionClassifier("dyn", backend="tflite")
    assert quantized.backend == "tflite" and quantized.tflite_path().name.endswith("-dynamic.tflite")
    assert [p.name for p in folder.glob("*.tflite")] == [quantized.tflite_path().name]
    scores = quantized.predict_batch(faces)
    assert np.abs(scores - reference).max() <= litert.TOLERANCE["dynamic"]
    assert (scores.argmax(axis=1) == reference.argmax(axis=1)).all()


def test_an_int8_conversion_needs_faces_and_then_runs_in_their_ranges(root: Path, faces: np.ndarray) -> None:
    folder = registered(root, "q8", "int8")
    keras_model = EmotionClassifier("q8", backend="keras")
    with pytest.raises(ValueError, match="representative faces"):
        litert.convert(keras_model.model, folder / "model-x-int8.tflite", "int8")
    path = keras_model.tflite_path()
    litert.convert(keras_model.model, path, "int8", representative=faces[..., None].astype(np.float32))
    float_path = root / "float" / "model-f.tflite"
    litert.convert(keras_model.model, float_path)
    assert path.stat().st_size < float_path.stat().st_size / 2  # int8 weights: a quarter of float32's
    quantized = EmotionClassifier("q8", backend="tflite")
    assert quantized.quantization == "int8" and quantized.tflite_path() == path
    scores, reference = quantized.predict_batch(faces), keras_model.predict_batch(faces)
    assert np.abs(scores - reference).max() <= litert.TOLERANCE["int8"]


def test_without_its_int8_file_a_model_runs_the_float_conversion_and_says_so(
    root: Path, faces: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    folder = registered(root, "q8", "int8")
    with caplog.at_level(logging.WARNING, logger="emuse.vision.classifier"):
        classifier = EmotionClassifier("q8", backend="tflite")
    assert classifier.quantization == "none" and classifier.backend == "tflite"
    assert [p.name for p in folder.glob("*.tflite")] == [classifier.tflite_path().name]
    assert "-int8" not in classifier.tflite_path().name
    assert "models/make_default.py" in caplog.text
    assert classifier.predict_batch(faces).shape == (4, 7)


def test_an_unknown_quantization_is_refused_with_the_file_and_the_choices(root: Path) -> None:
    folder = registered(root, "odd", "fp8")
    with pytest.raises(registry.ModelError) as refused:
        EmotionClassifier("odd")
    assert str(refused.value) == (
        f"{folder / 'meta.json'}: inference.quantization 'fp8' must be one of none, dynamic, int8"
    )


def test_a_read_only_model_folder_caches_its_conversion_per_model_under_the_data_dir(
    root: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = registered(root, "ro", "dynamic")
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("EMUSE_DATA_DIR", str(data))
    monkeypatch.setattr("os.access", lambda path, mode: Path(path) != folder)
    path = EmotionClassifier("ro", backend="tflite").tflite_path()
    assert path.parent == data / "cache" / "tflite" / "ro" and path.is_file()
    assert not list(folder.glob("*.tflite"))
