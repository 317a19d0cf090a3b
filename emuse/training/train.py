"""Train a registered architecture on FER2013 and save it to the model registry.

The recipe a person training an image classifier expects, and what the original
project skipped: the ``train`` split trains, the ``val`` split (FER2013's PublicTest)
drives early stopping and the learning-rate schedule, and the ``test`` split
(PrivateTest) is used once, at the end, for the figures saved in ``meta.json``.
Class weights keep the rare classes (disgust) from being ignored. The best epoch by
validation loss is what gets saved.

Progress and cancellation go through a :class:`TrainListener`, so the same function
serves the CLI (prints), the notebook and the background job (writes status.json).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emuse import config, registry
from emuse.labels import EMOTIONS
from emuse.quiet import import_keras
from emuse.training import architectures
from emuse.training.data import FerData, load
from emuse.training.dataset import class_weights, make_dataset
from emuse.training.evaluate import SPLIT_NAMES, evaluate_arrays


class TrainingCancelled(Exception):
    """The listener asked to stop; nothing was saved."""


class TrainListener:
    """Hooks called during training; the base class ignores everything and never cancels."""

    def phase(self, name: str) -> None:
        """A new stage started: "loading data", "building model", "training", "evaluating", "saving"."""

    def data_loaded(self, data: FerData) -> None:
        """The data set is loaded and split."""

    def batch(self, epoch: int, batch: int, batches: int) -> None:
        """``batch`` (1-based) of ``batches`` in ``epoch`` (1-based) is done."""

    def epoch(self, epoch: int, logs: dict[str, float]) -> None:
        """``epoch`` (1-based) finished with ``logs`` (loss, accuracy, val_loss, val_accuracy, learning_rate)."""

    def should_stop(self) -> bool:
        return False


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved into meta.json, so a run can be repeated)."""

    data: str
    arch: str = "mini_xception"
    epochs: int = 30
    batch_size: int = 64
    name: str | None = None
    seed: int = 1234
    val_fraction: float = 0.1
    patience: int = 8
    augment: bool = True
    overwrite: bool = False

    def check(self) -> None:
        architectures.get(self.arch)
        if not 1 <= int(self.epochs) <= 1000:
            raise ValueError(f"epochs must be between 1 and 1000, got {self.epochs}")
        if not 1 <= int(self.batch_size) <= 4096:
            raise ValueError(f"batch size must be between 1 and 4096, got {self.batch_size}")

    def model_name(self) -> str:
        return self.name or f"{self.arch}_{datetime.now(UTC):%Y%m%d_%H%M%S}"


@dataclass
class TrainResult:
    info: registry.ModelInfo
    metrics: dict[str, Any]
    history: dict[str, list[float]] = field(default_factory=dict)


def train(cfg: TrainConfig, listener: TrainListener | None = None, models_root: Path | None = None) -> TrainResult:
    """Load, train, evaluate on the test split, save to ``models_root/<name>/``; return the saved model's info."""
    listener = listener or TrainListener()
    cfg.check()
    root = models_root or config.models_dir()
    name = registry.check_name(cfg.model_name(), root, overwrite=cfg.overwrite)
    arch = architectures.get(cfg.arch)
    started = time.monotonic()

    listener.phase("loading data")
    data = load(cfg.data, val_fraction=cfg.val_fraction, seed=cfg.seed)
    train_split, val_split = data.split("train"), data.split("val")
    test_key = "test" if "test" in data.splits else "val"
    test_split = data.splits[test_key]
    listener.data_loaded(data)
    if listener.should_stop():  # loading FER2013 takes a while; don't import TensorFlow for a cancelled job
        raise TrainingCancelled("training was cancelled; no model was saved")

    listener.phase("building model")
    keras = import_keras()

    keras.utils.set_random_seed(cfg.seed)
    model = architectures.build(cfg.arch)
    train_ds = make_dataset(
        train_split.x, train_split.y, cfg.batch_size, training=True, seed=cfg.seed, augment=cfg.augment
    )
    val_ds = make_dataset(val_split.x, val_split.y, cfg.batch_size, training=False)
    batches = math.ceil(len(train_split) / cfg.batch_size)
    keep_best = _keep_best(keras)
    callbacks = [
        keep_best,
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=max(2, cfg.patience // 3), min_lr=1e-6
        ),
        _progress(keras, listener, batches),
    ]

    listener.phase("training")
    fit_started = time.monotonic()
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=int(cfg.epochs),
        class_weight=class_weights(train_split.y),
        callbacks=callbacks,
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=0,
    )
    if listener.should_stop():
        raise TrainingCancelled("training was cancelled; no model was saved")
    keep_best.restore(model)
    fit_seconds = time.monotonic() - fit_started

    listener.phase("evaluating")
    metrics = evaluate_arrays(model, test_split.x, test_split.y)
    metrics["split"] = SPLIT_NAMES[data.layout][test_key]
    metrics["data"] = data.source

    listener.phase("saving")
    logs = {k: [float(v) for v in values] for k, values in history.history.items()}
    meta = {
        "name": name,
        "labels": list(EMOTIONS),
        "input_shape": [int(v) for v in model.input_shape[1:]],
        "preprocessing": {
            "color": "grayscale",
            "resize": [int(v) for v in model.input_shape[1:3]],
            "input_range": [0, 255],
            "scaling": arch.scaling,
            "augmentation": "flip, ±10° rotation, ±10% shift and zoom, ±20% contrast" if cfg.augment else "none",
        },
        "architecture": cfg.arch,
        "parameters": int(model.count_params()),
        "data": data.describe(),
        "splits": {
            "train": data.split_sources.get("train"),
            "val": f"{data.split_sources.get('val')} (early stopping and learning rate)",
            "test": f"{data.split_sources.get(test_key)} (final figures only)",
        },
        "epochs": {"requested": int(cfg.epochs), "run": len(logs.get("loss", [])), "best": keep_best.best_epoch},
        "batch_size": int(cfg.batch_size),
        "seed": int(cfg.seed),
        "config": asdict(cfg),
        "training_time_s": round(time.monotonic() - started, 1),
        "fit_time_s": round(fit_seconds, 1),
        "history": logs,
        "keras_version": keras.__version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "metrics": metrics,
    }
    info = registry.save_model(model, name, meta, root, overwrite=cfg.overwrite)
    return TrainResult(info=info, metrics=metrics, history=logs)


def _keep_best(keras: Any) -> Any:
    """A callback keeping the best weights (a factory because Keras is imported lazily)."""

    class KeepBest(keras.callbacks.Callback):
        """Remember the weights of the epoch with the lowest validation loss, and restore them at the end.

        Keras' EarlyStopping only restores when it actually stops early; a run that
        uses all its epochs would otherwise save the last epoch, not the best.
        """

        def __init__(self) -> None:
            super().__init__()
            self.best_loss = math.inf
            self.best_epoch = 0
            self.best_weights: list[Any] | None = None

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            loss = (logs or {}).get("val_loss", math.inf)
            if loss < self.best_loss:
                self.best_loss, self.best_epoch = loss, epoch + 1
                self.best_weights = self.model.get_weights()

        def restore(self, model: Any) -> None:
            if self.best_weights is not None:
                model.set_weights(self.best_weights)

    return KeepBest()


def _progress(keras: Any, listener: TrainListener, batches: int) -> Any:
    class Progress(keras.callbacks.Callback):
        """Forward Keras' events to the listener, and stop at the next batch when it asks."""

        def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            self.current = epoch + 1

        def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
            listener.batch(self.current, batch + 1, batches)
            if listener.should_stop():
                self.model.stop_training = True

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            values = {k: float(v) for k, v in (logs or {}).items()}
            values["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            listener.epoch(epoch + 1, values)

    return Progress()
