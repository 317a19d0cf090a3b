"""The test video the benchmarks and the tests use: a real photograph swaying over a webcam-sized canvas.

:func:`synthetic_frames` moves a still photo slightly over a 640x480 canvas, like a
person in front of a webcam. It takes the image as an argument so this module needs
no data package; :func:`astronaut_clip` is the standard clip (scikit-image's photo, passed in).
The app never calls this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np


def synthetic_frames(
    image_rgb: np.ndarray,
    count: int = 150,
    size: tuple[int, int] = (640, 480),
    scale: float = 1.0,
    anchor: tuple[float, float] | None = None,
    seed: int = 0,
) -> list[np.ndarray]:
    """A webcam-like clip of a still photo: slow sway and zoom, a little jitter and sensor noise.

    ``anchor`` is the point of ``image_rgb`` (its pixels, before ``scale``) that is kept
    near the middle of the upper half of the frame, usually the face's centre.
    Deterministic for a given ``seed``. Returns BGR uint8 frames.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    source = cv2.cvtColor(np.asarray(image_rgb, dtype=np.uint8), cv2.COLOR_RGB2BGR)
    ax, ay = anchor if anchor is not None else (source.shape[1] / 2, source.shape[0] / 2)
    background = np.linspace(60, 140, width, dtype=np.float32)[None, :, None].repeat(height, 0).repeat(3, 2)
    frames = []
    for i in range(count):
        t = i / 30.0
        zoom = scale * (1.0 + 0.06 * np.sin(2 * np.pi * t / 4.0))
        dx = 45 * np.sin(2 * np.pi * t / 5.0) + rng.normal(0, 1.5)
        dy = 15 * np.sin(2 * np.pi * t / 3.0) + rng.normal(0, 1.5)
        # Affine map: source pixel (ax, ay) lands at (width/2 + dx, height*0.4 + dy), scaled by zoom.
        matrix = np.float32([[zoom, 0, width / 2 + dx - zoom * ax], [0, zoom, height * 0.4 + dy - zoom * ay]])
        canvas = background.copy()
        warped = cv2.warpAffine(source, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        mask = cv2.warpAffine(
            np.ones(source.shape[:2], np.uint8), matrix, (width, height), flags=cv2.INTER_NEAREST, borderValue=0
        )
        canvas[mask > 0] = warped[mask > 0]
        canvas += rng.normal(0, 3.0, canvas.shape).astype(np.float32)
        frames.append(np.clip(canvas, 0, 255).astype(np.uint8))
    return frames


def astronaut_clip(astronaut: np.ndarray, count: int = 150, seed: int = 0) -> list[np.ndarray]:
    """The benchmark's and tests' clip: scikit-image's astronaut photo, head and shoulders, swaying.

    Eileen Collins, smiling, public domain. The caller passes ``skimage.data.astronaut()``:
    scikit-image is a development dependency, and the app (``emuse/``) never imports it.
    """
    head = astronaut[0:230, 80:380]  # her face is at about (144, 113) of this crop
    return synthetic_frames(head, count, scale=1.6, anchor=(144, 113), seed=seed)


def write_video(frames: Sequence[np.ndarray], path: Path, fps: float = 30.0) -> Path:
    """Write BGR frames as a Motion-JPEG AVI (every OpenCV build can read and write it)."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path
