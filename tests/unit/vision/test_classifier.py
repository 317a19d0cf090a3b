"""The classifier's TFLite cache: converted in the background, kept beside the model, never a reason to fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emuse.vision import litert
from emuse.vision.classifier import EmotionClassifier
from tests.support.paths import ROOT


def test_auto_backend_converts_in_the_background_and_caches_beside_the_model(models_dir: Path) -> None:
    for old in (models_dir / "fer2013_mini_xception").glob("*.tflite"):
        old.unlink()
    classifier = EmotionClassifier()
    assert classifier.wait_ready(timeout=120) == "tflite", classifier.backend_note
    cached = list((models_dir / "fer2013_mini_xception").glob("model-*.tflite"))
    assert len(cached) == 1 and cached[0] == classifier.tflite_path()
    assert classifier.tflite_runtime in {"ai_edge_litert", "tensorflow"}
    again = EmotionClassifier()  # the cache is used at once, no second conversion
    assert again.backend == "tflite" and again._converter is None


def test_a_broken_cached_conversion_never_stops_the_classifier(models_dir: Path, fast: EmotionClassifier) -> None:
    path = fast.tflite_path()
    path.write_bytes(b"TFL3 not really a flatbuffer")
    classifier = EmotionClassifier()
    # Keras answers at once and says why; the background conversion replaces the broken file.
    assert classifier.backend in {"keras", "tflite"}
    assert len(classifier.predict_batch(np.zeros((1, 64, 64), np.uint8))) == 1
    assert classifier.wait_ready(timeout=120) == "tflite"
    assert EmotionClassifier().backend == "tflite"  # healed on disk too
    path.write_bytes(b"broken again")
    assert EmotionClassifier(backend="tflite").backend == "tflite"  # converts again, synchronously


def test_without_any_tflite_interpreter_keras_answers(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(litert, "interpreter_class", lambda: None)
    classifier = EmotionClassifier()
    assert classifier.backend == "keras" and classifier.wait_ready(timeout=1) == "keras"
    assert "install ai-edge-litert" in classifier.backend_note
    with pytest.raises(Exception, match="no TFLite backend"):
        EmotionClassifier(backend="tflite")


def test_with_litert_and_a_cached_conversion_tensorflow_is_never_imported(fast: EmotionClassifier) -> None:
    pytest.importorskip("ai_edge_litert")
    assert fast.tflite_path().is_file()
    code = (
        "import sys, numpy as np\n"
        "from emuse.vision.classifier import EmotionClassifier\n"
        "c = EmotionClassifier()\n"
        "scores = c.predict_batch(np.full((1, 64, 64), 128, np.uint8))\n"
        "assert c.backend == 'tflite' and c.tflite_runtime == 'ai_edge_litert', c.backend_note\n"
        "assert scores.shape == (1, 7) and abs(float(scores.sum()) - 1) < 1e-3\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
