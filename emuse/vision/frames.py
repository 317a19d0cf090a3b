"""Normalise frames: every later stage can assume a non-empty uint8 BGR image.

Browsers send BGR via ``av``, files decode to BGR, gray or BGRA, tests hand in
RGBA arrays and floats. Converting once here keeps the detector and classifier free
of special cases.
"""

from __future__ import annotations

import cv2
import numpy as np


def to_bgr(frame: np.ndarray | None) -> np.ndarray | None:
    """Return a contiguous uint8 BGR copy-or-view of ``frame``, or ``None`` if it has no pixels.

    Accepts gray (H, W) or (H, W, 1), BGR (H, W, 3) and BGRA (H, W, 4) arrays, in
    uint8 or any numeric dtype (floats in [0, 1] are scaled to 0..255).
    """
    if frame is None:
        return None
    image = np.asarray(frame)
    if image.ndim not in (2, 3) or image.size == 0 or min(image.shape[:2]) == 0:
        return None
    if image.dtype != np.uint8:
        image = image.astype(np.float32)
        if image.size and float(np.nanmax(image)) <= 1.0:
            image = image * 255.0
        image = np.clip(np.nan_to_num(image), 0, 255).astype(np.uint8)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.shape[2] == 3:
        return np.ascontiguousarray(image)
    return None


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Grayscale of a BGR (or already gray) uint8 frame."""
    if frame.ndim == 2:
        return frame
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def rgb_to_bgr(image: np.ndarray) -> np.ndarray:
    """For images from PIL, scikit-image or matplotlib, which are RGB(A)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    return to_bgr(image)  # type: ignore[return-value]
