"""Shared fixtures: real faces from installed packages, and a private data folder per test."""

from __future__ import annotations

from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes into the project's data/ folder (history database, training jobs)."""
    monkeypatch.setenv("EMUSE_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    """Eileen Collins, smiling (scikit-image's ``data.astronaut()``), as BGR."""
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="session")
def grace_hopper_bgr() -> np.ndarray:
    """Grace Hopper, neutral expression (matplotlib's sample image), as BGR."""
    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


@pytest.fixture(scope="session")
def webcam_frame(astronaut_bgr: np.ndarray) -> np.ndarray:
    """A 640x480 'webcam' frame with the astronaut's face at arm's length."""
    canvas = np.full((480, 640, 3), 90, np.uint8)
    canvas[40:440, 120:520] = cv2.resize(astronaut_bgr, (400, 400))
    return canvas


@pytest.fixture(scope="session")
def classifier():
    """The shipped default model, loaded once for the whole test session."""
    from emuse.vision.classifier import EmotionClassifier

    return EmotionClassifier()
