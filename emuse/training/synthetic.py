"""Tiny FER2013-shaped data sets with a learnable pattern per class.

Why: tests, the notebook and the input benchmark need data in both FER2013 layouts,
and nothing may be downloaded. Each emotion gets horizontal stripes of its own period
(plus noise and a random phase), which survive the flips, shifts and small rotations
of training augmentation, so a model can actually learn them in an epoch or two.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import cv2
import numpy as np

from emuse.labels import EMOTIONS
from emuse.training.data import IMAGE_SIZE

PERIODS = (4, 6, 8, 11, 15, 20, 28)
#: Kaggle CSV ``Usage`` per split, and the folder names the image-folder layout uses.
USAGES = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}
FOLDER_NAMES = ("angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral")


def make_images(label: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` 48x48 uint8 images for class ``label``."""
    rows = np.arange(IMAGE_SIZE, dtype=np.float32)[None, :, None]
    phase = rng.uniform(0, 2 * np.pi, size=(count, 1, 1))
    stripes = 127 + 90 * np.sin(2 * np.pi * rows / PERIODS[label] + phase)
    noise = rng.normal(0, 12, size=(count, IMAGE_SIZE, IMAGE_SIZE))
    return np.clip(stripes + noise, 0, 255).astype(np.uint8)


def make_csv(path: Path, per_class: dict[str, int] | int = 4, seed: int = 0) -> Path:
    """Write a Kaggle-format ``emotion,pixels,Usage`` CSV; ``per_class`` rows per class and split."""
    counts = per_class if isinstance(per_class, dict) else dict.fromkeys(USAGES, per_class)
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["emotion", "pixels", "Usage"])
        for split, count in counts.items():
            for label in range(len(EMOTIONS)):
                for image in make_images(label, count, rng):
                    writer.writerow([label, " ".join(map(str, image.ravel().tolist())), USAGES[split]])
    return path


def make_folders(root: Path, per_class: int = 4, seed: int = 0, splits: tuple[str, ...] = ("train", "test")) -> Path:
    """Write ``root/<split>/<class>/*.png`` using the folder names people use (``disgusted`` ...)."""
    rng = np.random.default_rng(seed)
    for split in splits:
        for label, folder in enumerate(FOLDER_NAMES):
            target = root / split / folder
            target.mkdir(parents=True, exist_ok=True)
            for i, image in enumerate(make_images(label, per_class, rng)):
                cv2.imwrite(str(target / f"{split}_{i:05d}.png"), image)
    return root


def zip_folder(folder: Path, zip_path: Path) -> Path:
    """Zip ``folder`` (its contents under a top-level folder of the same name, like most downloads)."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, Path(folder.name) / file.relative_to(folder))
    return zip_path
