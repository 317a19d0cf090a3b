"""Real faces from installed packages (nothing downloaded): the tests' and benchmarks' pictures."""

from __future__ import annotations

from pathlib import Path

import cv2
import matplotlib
import numpy as np
from skimage import data


def astronaut_bgr() -> np.ndarray:
    """Eileen Collins, smiling (scikit-image's ``data.astronaut()``), as BGR."""
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def grace_hopper_bgr() -> np.ndarray:
    """Grace Hopper, neutral expression (matplotlib's sample image), as BGR."""
    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def webcam_frame(face_bgr: np.ndarray) -> np.ndarray:
    """A 640x480 'webcam' frame with ``face_bgr`` at arm's length."""
    canvas = np.full((480, 640, 3), 90, np.uint8)
    canvas[40:440, 120:520] = cv2.resize(face_bgr, (400, 400))
    return canvas
