"""The ``tf.data`` input pipeline: in-memory arrays, shuffled, batched, augmented in parallel.

Augmentation is a stack of Keras preprocessing layers (flip, small rotation, shift,
zoom, contrast) applied to whole batches inside the pipeline, so it runs in
TensorFlow's threads while the previous batch trains, instead of the per-image Python
loop of ``ImageDataGenerator``. It works on raw 0..255 pixels; the model's own first
layer does the scaling, so what is saved is exactly what inference feeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emuse.labels import EMOTIONS
from emuse.quiet import import_keras


def augmenter(seed: int = 1234, random_erasing: bool = False) -> Any:
    """Small, face-preserving changes: mirror, ±10° rotation, ±10% shift and zoom, ±20% contrast.

    ``random_erasing`` adds a cut-out (Zhong et al. 2017: a random rectangle of up to a third of
    the face's side filled with noise, half the time), which teaches the network not to rely on
    one region: a hand over the mouth, sunglasses.
    """
    keras = import_keras()
    layers = keras.layers
    stack = [
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomRotation(10 / 360, fill_mode="nearest", seed=seed + 1),
        layers.RandomTranslation(0.1, 0.1, fill_mode="nearest", seed=seed + 2),
        layers.RandomZoom(0.1, fill_mode="nearest", seed=seed + 3),
        layers.RandomContrast(0.2, value_range=(0, 255), seed=seed + 4),
    ]
    if random_erasing:
        stack.append(layers.RandomErasing(factor=0.5, scale=(0.02, 0.15), value_range=(0, 255), seed=seed + 5))
    return keras.Sequential(stack, name="augment")


def check_mixup(alpha: float) -> None:
    """Refuse a mixup strength outside 0 (off) .. 1 (Beta(1, 1): any blend)."""
    if not 0 <= float(alpha) <= 1:
        raise ValueError(f"mixup alpha must be between 0 (off) and 1, got {alpha}")


def mixup(batch_x: Any, batch_y: Any, alpha: float) -> tuple[Any, Any]:
    """Blend each face with another face of the batch, and its (N, 7) target likewise (Zhang et al. 2018).

    The share ``lam`` of each face's own image is drawn from Beta(alpha, alpha) and folded to at least
    one half, so a blended face is still mostly itself and its target's largest entry stays its label.
    Blends are a regulariser against memorising 28k faces: the resnets reached 77-81% train accuracy
    against 66-67% on PublicTest without it.
    """
    import tensorflow as tf

    count = tf.shape(batch_x)[0]
    first = tf.random.gamma([count], alpha)
    second = tf.random.gamma([count], alpha)
    lam = first / tf.maximum(first + second, 1e-12)
    lam = tf.maximum(lam, 1 - lam)
    partner = tf.random.shuffle(tf.range(count))
    x_lam = tf.reshape(lam, (-1, 1, 1, 1))
    y_lam = tf.reshape(lam, (-1, 1))
    mixed_x = x_lam * batch_x + (1 - x_lam) * tf.gather(batch_x, partner)
    mixed_y = y_lam * batch_y + (1 - y_lam) * tf.gather(batch_y, partner)
    return mixed_x, mixed_y


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    training: bool,
    input_size: int | None = None,
    seed: int = 1234,
    augment: bool = True,
    random_erasing: bool = False,
    mixup_alpha: float = 0.0,
) -> Any:
    """Batches of (float32 raw pixels (B, S, S, 1), labels); shuffled and augmented when ``training``.

    ``y`` is (N,) class indexes, or (N, 7) float targets when distilling (see :mod:`emuse.training.distill`)
    or blending faces (``mixup_alpha`` above 0, training only: see :func:`mixup`).
    """
    check_mixup(mixup_alpha)
    if training and mixup_alpha and np.ndim(y) != 2:
        raise ValueError("mixup blends targets: pass (N, 7) target rows, not class indexes")
    import_keras()
    import tensorflow as tf

    images = np.asarray(x, dtype=np.uint8)[..., None]
    labels = np.asarray(y, dtype=np.float32 if np.ndim(y) == 2 else np.int32)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)

    size = input_size or images.shape[1]

    def to_float(batch_x: Any, batch_y: Any) -> tuple[Any, Any]:
        batch_x = tf.cast(batch_x, tf.float32)
        if size != images.shape[1]:
            batch_x = tf.image.resize(batch_x, (size, size))
        return batch_x, batch_y

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    if training and augment:
        layers = augmenter(seed, random_erasing)
        ds = ds.map(lambda bx, by: (layers(bx, training=True), by), num_parallel_calls=tf.data.AUTOTUNE)
    if training and mixup_alpha:
        ds = ds.map(lambda bx, by: mixup(bx, by, float(mixup_alpha)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def class_weights(y: np.ndarray, power: float = 1.0) -> dict[int, float]:
    """'Balanced' weights (n / (k * count)) ** power: a rare class (disgust, <2% of FER2013) counts as much as a
    common one at power 1; power 0.5 halves the gap in log terms, which keeps the rare classes' recall up without
    costing as much overall accuracy."""
    counts = np.bincount(np.asarray(y), minlength=len(EMOTIONS)).astype(float)
    present = counts > 0
    weights = np.zeros_like(counts)
    weights[present] = (counts.sum() / (present.sum() * counts[present])) ** power
    return {i: float(w) for i, w in enumerate(weights)}
