"""Training input throughput: eMuse's ``tf.data`` pipeline vs the original ``ImageDataGenerator`` setup.

Run from the project root (about 3 minutes on 2 busy cores)::

    python benchmarks/training_input.py
    python benchmarks/training_input.py --per-class 200 --rounds 2   # quicker, noisier

Writes ``benchmarks/results/training_input.json`` (every number, machine, versions,
load average) and ``training_input.md`` (the table).

Same data for everyone, in the same run: a FER2013-format image-folder tree
(``train/<class>/*.png``, 48x48 grayscale, ``--per-class`` images per class, made by
:mod:`emuse.training.synthetic`) written to a temporary folder. Contestants deliver
one epoch of batches of 64 (images and labels) to a consumer that does nothing, so
what is timed is the input pipeline alone:

* ``original``: what the original project did, ``ImageDataGenerator(rescale=1./255)``
  with ``flow_from_directory(target_size=(48, 48), color_mode="grayscale",
  class_mode="categorical", batch_size=64)``; every epoch reads and decodes every PNG
  in a Python loop, one image at a time. ``ImageDataGenerator`` is deprecated but
  still ships in Keras 3 (``keras.src.legacy``, reachable as
  ``tf.keras.preprocessing.image.ImageDataGenerator``), so the real class is used,
  not a reimplementation.
* ``original + augmentation``: the same generator with the augmentation eMuse uses
  (horizontal flip, ±10° rotation, ±10% shift and zoom; per image, scipy affine
  transforms in Python), so augmented is compared with augmented.
* ``eMuse tf.data``: the folder is decoded once into memory (``emuse.training.data.load``,
  timed separately as a one-off cost), then ``emuse.training.dataset.make_dataset``:
  shuffle, batch, Keras preprocessing layers (flip, rotation, shift, zoom, contrast)
  on whole batches in TensorFlow's threads, prefetch.
* ``eMuse tf.data, no augmentation``: the same without the augmentation layers.

Every contestant runs one untimed warm-up epoch (tf.function tracing, file cache),
then ``--rounds`` timed epochs, interleaved (each contestant once, then again) so load
from other processes hits all alike. Reported: images a second per epoch (median over
rounds, and the best), plus for context the training speed of the models themselves
(images a second through ``train_on_batch``), which says whether the input would hold
a training run back.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emuse.quiet import import_keras
from emuse.training import architectures, synthetic
from emuse.training.data import load
from emuse.training.dataset import make_dataset

BATCH = 64
RESULTS = Path(__file__).resolve().parent / "results"


def original_generator(folder: Path, augment: bool) -> Callable[[], Iterable]:
    keras = import_keras()
    import tensorflow as tf

    options = {"rescale": 1.0 / 255}
    if augment:
        options.update(
            rotation_range=10, width_shift_range=0.1, height_shift_range=0.1, zoom_range=0.1, horizontal_flip=True
        )
    datagen = tf.keras.preprocessing.image.ImageDataGenerator(**options)
    flow = datagen.flow_from_directory(
        str(folder),
        target_size=(48, 48),
        color_mode="grayscale",
        class_mode="categorical",
        batch_size=BATCH,
        shuffle=True,
        seed=1,
    )
    del keras

    def epoch() -> Iterable:
        return (flow[i] for i in range(len(flow)))  # what fit(generator) does, batch by batch

    return epoch


def emuse_pipeline(x: np.ndarray, y: np.ndarray, augment: bool) -> Callable[[], Iterable]:
    dataset = make_dataset(x, y, BATCH, training=True, augment=augment, seed=1)
    return lambda: iter(dataset)


def time_epoch(epoch: Callable[[], Iterable]) -> tuple[float, int]:
    started = time.perf_counter()
    images = 0
    for batch_x, _ in epoch():
        images += int(np.shape(batch_x)[0])
    return time.perf_counter() - started, images


def model_speed(name: str, rounds: int = 5) -> float:
    """Images a second through ``train_on_batch`` (batch 64, 48x48): the consumer's appetite."""
    model = architectures.build(name)
    x = np.random.default_rng(0).uniform(0, 255, (BATCH, 48, 48, 1)).astype("float32")
    y = np.arange(BATCH) % 7
    model.train_on_batch(x, y)  # trace
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - started)
    return BATCH / statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-class", type=int, default=400, help="training images per class (default 400)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    keras = import_keras()
    import tensorflow as tf

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="emuse-bench-") as tmp:
        root = synthetic.make_folders(Path(tmp) / "fer", per_class=args.per_class, splits=("train",))
        csv_path = synthetic.make_csv(Path(tmp) / "fer.csv", {"train": args.per_class})
        started = time.perf_counter()
        data = load(root / "train")  # class folders only: one split with every image
        load_folder_s = time.perf_counter() - started
        started = time.perf_counter()
        load(csv_path)
        load_csv_s = time.perf_counter() - started
        x, y = data.splits["test"].x, data.splits["test"].y
        n = len(y)

        contestants: dict[str, Callable[[], Iterable]] = {
            "original: ImageDataGenerator(rescale=1/255).flow_from_directory": original_generator(
                root / "train", False
            ),
            "original + augmentation (flip, rotation, shift, zoom)": original_generator(root / "train", True),
            "eMuse tf.data + Keras augmentation layers": emuse_pipeline(x, y, True),
            "eMuse tf.data, no augmentation": emuse_pipeline(x, y, False),
        }
        for epoch in contestants.values():
            time_epoch(epoch)  # warm-up
        seconds: dict[str, list[float]] = {name: [] for name in contestants}
        for _ in range(args.rounds):
            for name, epoch in contestants.items():
                elapsed, images = time_epoch(epoch)
                assert images == n, (name, images, n)
                seconds[name].append(elapsed)

    models = {name: model_speed(name) for name in ("original_cnn", "mini_xception")}
    load_after = os.getloadavg()
    baseline = statistics.median(seconds[next(iter(seconds))])
    rows = [
        {
            "pipeline": name,
            "images_per_s_median": n / statistics.median(times),
            "images_per_s_best": n / min(times),
            "epoch_s_median": statistics.median(times),
            "speedup_vs_original": baseline / statistics.median(times),
        }
        for name, times in seconds.items()
    ]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="minutes"),
        "images": n,
        "batch_size": BATCH,
        "rounds": args.rounds,
        "rows": rows,
        "seconds": seconds,
        "one_off_load_s": {"image_folders": load_folder_s, "kaggle_csv_same_images": load_csv_s},
        "model_train_images_per_s": models,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "loadavg_before": load_before,
            "loadavg_after": load_after,
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "training_input.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"{n} images of 48x48 (7 classes), batch {BATCH}, {args.rounds} timed epochs each after a warm-up epoch; "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} before / {load_after[0]:.1f} after.",
        "",
        "| input pipeline | images/s (median) | images/s (best) | epoch s | vs original |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['pipeline']} | {row['images_per_s_median']:,.0f} | {row['images_per_s_best']:,.0f} | "
            f"{row['epoch_s_median']:.2f} | {row['speedup_vs_original']:.1f}x |"
        )
    lines += [
        "",
        f"One-off: decoding the {n} PNGs into memory {load_folder_s:.2f} s; parsing the same images as a Kaggle CSV "
        f"{load_csv_s:.2f} s.",
        "Model appetite (train_on_batch, images/s): "
        + ", ".join(f"{name} {speed:,.0f}" for name, speed in models.items()),
    ]
    (args.out / "training_input.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
