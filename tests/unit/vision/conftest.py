"""The vision tests' classifiers: a private copy of the shipped model per test module.

Each module gets its own folder, so converted ``.tflite`` files (and the cache tests that
break them on purpose) stay in a temporary folder and never touch ``models/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emuse import registry
from emuse.vision.classifier import EmotionClassifier
from tests.support.paths import ROOT

SHIPPED = ROOT / "models" / "fer2013_mini_xception"


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the shipped model, so converted .tflite files land in a temporary folder.

    The copy runs the float conversion whatever the shipped one's quantization (chosen per CPU by
    ``models/make_default.py``): these tests compare LiteRT with Keras to 1e-4, and
    ``tests/unit/test_shipped_models.py`` checks the shipped quantized files.
    """
    root = tmp_path_factory.mktemp("models")
    copy = root / "fer2013_mini_xception"
    shutil.copytree(SHIPPED, copy, ignore=shutil.ignore_patterns("*.tflite"))
    meta = registry.read_meta(copy).meta
    registry.write_meta(copy, {**meta, "inference": {**meta.get("inference", {}), "quantization": "none"}})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMUSE_MODELS_DIR", str(root))
        yield root


@pytest.fixture(scope="module")
def fast(models_dir: Path) -> EmotionClassifier:
    return EmotionClassifier(backend="tflite")


@pytest.fixture(scope="module")
def reference(models_dir: Path) -> EmotionClassifier:
    return EmotionClassifier(backend="keras")
