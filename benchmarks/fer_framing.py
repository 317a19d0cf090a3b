"""Measure how FER2013 frames its faces, relative to the box OpenCV's Haar cascade draws.

Why: the emotion model learned FER2013's framing; a live crop framed differently
costs accuracy on real faces even when the test split looks fine. Each PublicTest
image is upscaled to 192x192, padded by repeating its edges (so a face that fills
the frame can still be found), and the Haar frontal-face cascade is run on it; images
with exactly one face count. The result is the box's centre and side as fractions of
the FER frame, which :mod:`emuse.vision.framing` turns into ``FER2013``.

    python benchmarks/fer_framing.py [../shared/fer2013/fer2013-train-val.zip]

Measured 2026-12-01 (opencv-python-headless 4.x): 2,717 of 3,589 images with one face;
centre x 0.500 (IQR 0.484-0.516), centre y 0.497 (0.479-0.510), side 0.979 (0.906-1.036).
"""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

import cv2
import numpy as np

UPSCALED = 192
PAD = 64


def haar_boxes(zip_path: Path, prefix: str = "val/") -> np.ndarray:
    """(centre x, centre y, side) of the single Haar face in each image, as fractions of the frame."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    found = []
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            if not (name.startswith(prefix) and name.endswith(".jpg")):
                continue
            image = cv2.imdecode(np.frombuffer(zf.read(name), np.uint8), cv2.IMREAD_GRAYSCALE)
            big = cv2.resize(image, (UPSCALED, UPSCALED), interpolation=cv2.INTER_CUBIC)
            canvas = cv2.copyMakeBorder(big, PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE)
            faces = cascade.detectMultiScale(canvas, 1.1, 5, minSize=(60, 60))
            if len(faces) == 1:
                x, y, w, h = faces[0]
                found.append(((x - PAD + w / 2) / UPSCALED, (y - PAD + h / 2) / UPSCALED, w / UPSCALED))
    return np.array(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip", nargs="?", default="../shared/fer2013/fer2013-train-val.zip", type=Path)
    args = parser.parse_args()
    boxes = haar_boxes(args.zip)
    summary = {"images_with_one_face": len(boxes)}
    for i, what in enumerate(("centre_x", "centre_y", "side")):
        q25, median, q75 = np.percentile(boxes[:, i], [25, 50, 75])
        summary[what] = {"median": round(float(median), 3), "iqr": [round(float(q25), 3), round(float(q75), 3)]}
    summary["scale"] = round(1 / summary["side"]["median"], 3)  # type: ignore[index]
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
