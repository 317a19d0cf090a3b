"""The vision tests' classifiers: a private copy of the shipped model per test module.

Each module gets its own folder, so converted ``.tflite`` files (and the cache tests that
break them on purpose) stay in a temporary folder and never touch ``models/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emuse.vision.classifier import EmotionClassifier
from tests.support.paths import ROOT

SHIPPED = ROOT / "models" / "fer2013_mini_xception"


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the shipped model, so converted .tflite files land in a temporary folder."""
    root = tmp_path_factory.mktemp("models")
    shutil.copytree(SHIPPED, root / "fer2013_mini_xception", ignore=shutil.ignore_patterns("*.tflite"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMUSE_MODELS_DIR", str(root))
        yield root


@pytest.fixture(scope="module")
def fast(models_dir: Path) -> EmotionClassifier:
    return EmotionClassifier(backend="tflite")


@pytest.fixture(scope="module")
def reference(models_dir: Path) -> EmotionClassifier:
    return EmotionClassifier(backend="keras")
