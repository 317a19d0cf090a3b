"""How a detector's face box becomes the crop an emotion model saw in training.

FER2013's faces were cut by the data set's own registration, not by OpenCV, so a
model trained on it expects *its* framing. Measured on PublicTest (upscale each 48x48
image to 192x192, pad it by replicating its edges, run the Haar frontal-face cascade,
keep the 2,717 of 3,589 images with exactly one face): the Haar box's centre sits at
0.500 x / 0.497 y of the FER frame (IQR 0.484-0.516 and 0.479-0.510) and its side is
0.979 of the frame (IQR 0.906-1.036). So a FER2013 face is a Haar box grown by
1/0.979 = 1.02 about its centre: Haar's box *is* FER2013's framing, to within the
spread of the data. The measurement is ``benchmarks/fer_framing.py``.

A model's ``meta.json`` records this as ``"framing": {"reference": "haar", "scale":
1.02, "shift_y": 0.0}``. Detectors that frame differently (BlazeFace's boxes are
tighter and lower) map their boxes to Haar-equivalent ones before this step, so the
crop the model sees does not depend on which detector found the face.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Framing:
    """Grow a Haar-convention box by ``scale`` about its centre, moved down by ``shift_y`` box heights."""

    scale: float = 1.0
    shift_y: float = 0.0

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Framing:
        """The framing a model's ``meta.json`` names; the box as it is when it names none."""
        framing = meta.get("framing") or {}
        return cls(float(framing.get("scale", 1.0)), float(framing.get("shift_y", 0.0)))

    def as_meta(self) -> dict[str, Any]:
        return {"reference": "haar", "scale": self.scale, "shift_y": self.shift_y}


#: FER2013's framing relative to a Haar box, as measured above.
FER2013 = Framing(scale=1.02, shift_y=0.0)


def model_crop_box(box: Box, framing: Framing) -> Box:
    """The (x, y, w, h) region to crop for ``box``; it may reach outside the frame."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2 + framing.shift_y * h
    cw, ch = max(1, round(w * framing.scale)), max(1, round(h * framing.scale))
    return round(cx - cw / 2), round(cy - ch / 2), cw, ch


def crop(gray: np.ndarray, region: Box) -> np.ndarray:
    """``gray[region]``, its edge pixels repeated where the region leaves the frame."""
    x, y, w, h = region
    height, width = gray.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((h, w), dtype=gray.dtype)
    inside = gray[y0:y1, x0:x1]
    if (x0, y0, x1, y1) == (x, y, x + w, y + h):
        return inside
    return cv2.copyMakeBorder(inside, y0 - y, y + h - y1, x0 - x, x + w - x1, cv2.BORDER_REPLICATE)
