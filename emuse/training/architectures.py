"""The networks, selectable by name.

Every model starts with its pixel scaling as a layer, so a saved model takes raw
0..255 grayscale pixels: the original project scaled by 1/255 when training and
forgot to at inference; here that mistake cannot happen.

* ``original_cnn``: the original project's CNN exactly as it was (Conv32, Conv64,
  MaxPool, Dropout .25, Conv128, MaxPool, Conv128, MaxPool, Dropout .25, Flatten,
  Dense 1024, Dropout .5, Dense 7 softmax), 48x48x1, with its Adam(1e-4).
* ``mini_xception``: Arriaga et al.'s mini-Xception (depthwise-separable residual
  blocks, about 60k parameters), the family of the shipped model; fast on a CPU.
* ``vgg_fer``: our stronger design, after the VGG variant of Khaireddin & Chen
  ("Facial Emotion Recognition: State of the Art Performance on FER2013", 2021,
  73.28% single-model): four blocks of two 3x3 conv + batch norm + ReLU with
  64/128/256/512 filters, max pooling and dropout, then two 1024-unit dense layers,
  trained with SGD + Nesterov momentum and a plateau schedule. It needs many epochs
  (the paper used ~300) and is slow on a CPU; choose it on a GPU machine.
* ``emuse_resnet``: eMuse's own network, designed for accuracy per CPU-second at
  48x48: a 3x3 stem and a 2x2 max pool to 24x24, then four residual stages of two
  3x3 convolutions (32/64/128/256 filters at 24/12/6/3 pixels) with batch norm,
  global average pooling and dropout; about 1.2M parameters. Trained with AdamW, a
  warm-up plus cosine learning-rate schedule, label smoothing 0.1 and random erasing.
  Chosen by measurement on this 2-core CPU (training images/s, LiteRT ms per face,
  with TensorFlow 2.21): depthwise-separable variants of the same width trained at
  75-150 images/s and ran at 1.2-2.0 ms per face; this dense one at 295 images/s and
  0.97 ms per face. Plain convolutions suit oneDNN's CPU kernels better than
  depthwise ones at this size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emuse.labels import EMOTIONS
from emuse.quiet import import_keras

NUM_CLASSES = len(EMOTIONS)


@dataclass(frozen=True)
class Architecture:
    """How to build and train one network."""

    name: str
    description: str
    input_size: int
    scaling: str  # in words, for meta.json
    learning_rate: float
    optimizer: str  # "adam", "sgd" or "adamw" (AdamW: warm-up + cosine decay over the whole run)
    build: Callable[[Any, tuple[int, int, int]], Any]
    #: Label smoothing of the cross-entropy (0 = plain sparse cross-entropy).
    label_smoothing: float = 0.0
    #: Which validation figure picks the saved epoch: "val_loss" (min) or "val_accuracy" (max).
    monitor: str = "val_loss"
    #: Whether the tf.data pipeline adds random erasing (a cut-out rectangle) to its augmentation.
    random_erasing: bool = False


def _original_cnn(keras: Any, shape: tuple[int, int, int]) -> Any:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=shape, name="gray_pixels"),
            layers.Rescaling(1 / 255, name="to_0_1"),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.25),
            layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(1024, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="original_cnn",
    )


def _mini_xception(keras: Any, shape: tuple[int, int, int]) -> Any:
    layers, l2 = keras.layers, keras.regularizers.l2(0.01)
    inputs = keras.Input(shape=shape, name="gray_pixels")
    x = layers.Rescaling(1 / 127.5, offset=-1.0, name="to_minus1_1")(inputs)
    for _ in range(2):
        x = layers.Conv2D(8, 3, use_bias=False, kernel_regularizer=l2)(x)
        x = layers.Activation("relu")(layers.BatchNormalization()(x))
    for filters in (16, 32, 64, 128):
        # = Conv2D(filters, 1, strides=2, padding="same"): take every second pixel, then a 1x1 conv. Written
        # this way because TF 2.21's oneDNN crashes (heap corruption) in that conv's gradient for odd batch sizes.
        residual = layers.MaxPooling2D(pool_size=1, strides=2, padding="same")(x)
        residual = layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(residual))
        x = layers.SeparableConv2D(filters, 3, padding="same", depthwise_regularizer=l2, use_bias=False)(x)
        x = layers.Activation("relu")(layers.BatchNormalization()(x))
        x = layers.SeparableConv2D(filters, 3, padding="same", depthwise_regularizer=l2, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = layers.Add()([x, residual])
    x = layers.Conv2D(NUM_CLASSES, 3, padding="same")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Activation("softmax", name="emotion")(x)
    return keras.Model(inputs, outputs, name="mini_xception")


def _vgg_fer(keras: Any, shape: tuple[int, int, int]) -> Any:
    layers = keras.layers
    inputs = keras.Input(shape=shape, name="gray_pixels")
    x = layers.Rescaling(1 / 127.5, offset=-1.0, name="to_minus1_1")(inputs)
    for filters in (64, 128, 256, 512):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.Activation("relu")(layers.BatchNormalization()(x))
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    for _ in range(2):
        x = layers.Dense(1024, use_bias=False)(x)
        x = layers.Activation("relu")(layers.BatchNormalization()(x))
        x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="emotion")(x)
    return keras.Model(inputs, outputs, name="vgg_fer")


def _emuse_resnet(keras: Any, shape: tuple[int, int, int]) -> Any:
    layers = keras.layers

    def conv_bn(x: Any, filters: int, strides: int = 1) -> Any:
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        return layers.BatchNormalization()(x)

    inputs = keras.Input(shape=shape, name="gray_pixels")
    x = layers.Rescaling(1 / 127.5, offset=-1.0, name="to_minus1_1")(inputs)
    x = layers.Activation("relu")(conv_bn(x, 32))
    x = layers.MaxPooling2D(2)(x)
    for stage, filters in enumerate((32, 64, 128, 256)):
        strides = 1 if stage == 0 else 2
        shortcut = x
        if strides != 1 or shortcut.shape[-1] != filters:
            # Every second pixel, then a 1x1 conv: the strided 1x1 conv's gradient crashes TF 2.21's oneDNN
            # for odd batch sizes (see _mini_xception).
            shortcut = layers.MaxPooling2D(pool_size=1, strides=strides, padding="same")(shortcut)
            shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(shortcut))
        y = layers.Activation("relu")(conv_bn(x, filters, strides))
        y = conv_bn(y, filters)
        x = layers.Activation("relu")(layers.Add()([y, shortcut]))
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    # float32 scores even when training computes in bfloat16 (mixed precision): the loss needs the small ones.
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="emotion", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="emuse_resnet")


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture(
            "original_cnn",
            "The original project's CNN, reproduced as it was (about 2.3M parameters).",
            48,
            "inside the model: Rescaling(1/255) to [0, 1]",
            1e-4,
            "adam",
            _original_cnn,
        ),
        Architecture(
            "mini_xception",
            "Arriaga et al.'s mini-Xception: small and fast (about 60k parameters), ~66% on FER2013.",
            48,
            "inside the model: Rescaling(1/127.5, offset=-1) to [-1, 1]",
            1e-3,
            "adam",
            _mini_xception,
        ),
        Architecture(
            "vgg_fer",
            "Our VGG-style network (about 10M parameters) aimed at the best single-model results (~73%); slow on CPU.",
            48,
            "inside the model: Rescaling(1/127.5, offset=-1) to [-1, 1]",
            1e-2,
            "sgd",
            _vgg_fer,
        ),
        Architecture(
            "emuse_resnet",
            "eMuse's own residual CNN (about 1.2M parameters): fast to train on a CPU, about 1 ms per face.",
            48,
            "inside the model: Rescaling(1/127.5, offset=-1) to [-1, 1]",
            2e-3,
            "adamw",
            _emuse_resnet,
            label_smoothing=0.1,
            monitor="val_accuracy",
            random_erasing=True,
        ),
    )
}


def get(name: str) -> Architecture:
    """The architecture called ``name``; ``ValueError`` lists the choices."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}") from None


def build(
    name: str,
    input_size: int | None = None,
    total_steps: int | None = None,
    learning_rate: float | None = None,
    soft_labels: bool = False,
) -> Any:
    """A fresh, compiled Keras model for raw-pixel (size, size, 1) input.

    ``total_steps`` (batches per epoch x epochs) sizes the AdamW warm-up + cosine schedule;
    the other optimizers use a constant rate that ReduceLROnPlateau lowers. ``learning_rate``
    replaces the architecture's (peak) rate, for example a lower one to continue a trained model.
    ``soft_labels`` compiles for (N, 7) target rows (distillation) instead of class indexes.
    """
    arch = get(name)
    keras = import_keras()
    size = input_size or arch.input_size
    rate = float(learning_rate or arch.learning_rate)
    model = arch.build(keras, (size, size, 1))
    if arch.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(learning_rate=rate, momentum=0.9, nesterov=True)
    elif arch.optimizer == "adamw":
        steps = max(10, int(total_steps or 1000))
        warmup = max(1, steps // 20)
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=rate / 10,
            decay_steps=steps - warmup,
            alpha=0.01,
            warmup_target=rate,
            warmup_steps=warmup,
        )
        optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=5e-4)
    else:
        optimizer = keras.optimizers.Adam(learning_rate=rate)
    if soft_labels:
        soft_loss = keras.losses.CategoricalCrossentropy(label_smoothing=arch.label_smoothing)
        model.compile(optimizer=optimizer, loss=soft_loss, metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
    elif arch.label_smoothing:
        # Labels arrive as class indexes; the smoothed loss needs one-hot targets, made inside the loss.
        smoothed = keras.losses.CategoricalCrossentropy(label_smoothing=arch.label_smoothing)

        def loss(y_true: Any, y_pred: Any) -> Any:
            index = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
            return smoothed(keras.ops.one_hot(index, NUM_CLASSES), y_pred)

        model.compile(
            optimizer=optimizer, loss=loss, metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        )
    else:
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def uses_schedule(name: str) -> bool:
    """Whether the architecture's optimizer follows its own schedule (so no ReduceLROnPlateau)."""
    return get(name).optimizer == "adamw"
