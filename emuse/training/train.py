"""Train a registered architecture on FER2013 and save it to the model registry.

The recipe a person training an image classifier expects, and what the original
project skipped: the ``train`` split trains, the ``val`` split (FER2013's PublicTest)
drives early stopping and the learning-rate schedule, and the ``test`` split
(PrivateTest) is used once, at the end, for the figures saved in ``meta.json``.
Class weights keep the rare classes (disgust) from being ignored. The best epoch by
validation loss (or accuracy, as the architecture says) is what gets saved.

Training resumes: with a ``checkpoint_dir`` every epoch leaves the model, the
optimizer state and the epoch number there (Keras' ``BackupAndRestore``), plus the
best epoch's weights and the per-epoch log, so a run killed at epoch 17 of 32 goes on
at epoch 18 with ``resume=True`` and ends with the same schedule and the same choice
of best epoch as an uninterrupted run (:mod:`emuse.training.checkpoints`). The folder is
deleted once the model is saved.

Progress and cancellation go through a :class:`TrainListener`, so the same function
serves the CLI (prints), the notebook and the background job (writes status.json).
"""

from __future__ import annotations

import math
import os
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emuse import config, registry
from emuse.labels import EMOTIONS
from emuse.quiet import import_keras
from emuse.training import architectures
from emuse.training.checkpoints import best_epoch_of, checkpoint_path, read_epoch_log, restore_best_score, sole_run
from emuse.training.data import FerData
from emuse.training.data_cache import load_cached
from emuse.training.dataset import check_mixup, class_weights, make_dataset
from emuse.training.distill import check_weight, describe, one_hot, soft_targets
from emuse.training.evaluate import evaluate_arrays, load_model, split_name


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
    #: Where each epoch's checkpoint goes (default: ``<EMUSE_DATA_DIR>/checkpoints/<model name>``).
    checkpoint_dir: str | None = None
    #: Go on from the checkpoint in ``checkpoint_dir`` instead of refusing to overwrite it.
    resume: bool = False
    #: The command line that started the run, recorded in meta.json so it can be repeated.
    command: str | None = None
    #: A registered model (name or folder) of the same architecture whose weights start the run,
    #: to continue a trained model with a new schedule instead of starting from random weights.
    init_from: str | None = None
    #: The peak learning rate, instead of the architecture's (a continued model wants a lower one).
    learning_rate: float | None = None
    #: Compute in bfloat16 (weights stay float32): measured 1.4x the images/s of float32 for
    #: emuse_resnet on this 2-core AMD EPYC (avx512_bf16). The saved model is float32.
    mixed_precision: bool = False
    #: A registered model whose scores on the training faces become part of the targets (distillation).
    teacher: str | None = None
    #: How much of each training target is the teacher's scores (the rest is the label); at most 0.5.
    teacher_weight: float = 0.5
    #: Mixup's Beta(alpha, alpha) (0: off): training faces blended in pairs, targets likewise.
    mixup: float = 0.0

    def check(self) -> None:
        architectures.get(self.arch)
        if not 1 <= int(self.epochs) <= 1000:
            raise ValueError(f"epochs must be between 1 and 1000, got {self.epochs}")
        if not 1 <= int(self.batch_size) <= 4096:
            raise ValueError(f"batch size must be between 1 and 4096, got {self.batch_size}")
        if self.learning_rate is not None and not 0 < float(self.learning_rate) <= 1:
            raise ValueError(f"learning rate must be above 0 and at most 1, got {self.learning_rate}")
        if self.teacher:
            check_weight(self.teacher_weight)
        check_mixup(self.mixup)

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
    name = registry.check_name(cfg.model_name(), models_root, overwrite=cfg.overwrite)
    root = models_root or config.user_models_dir()
    arch = architectures.get(cfg.arch)
    teacher = registry.resolve(cfg.teacher) if cfg.teacher else None
    started = time.monotonic()

    listener.phase("loading data")
    data = load_cached(cfg.data, config.data_dir() / "cache", val_fraction=cfg.val_fraction, seed=cfg.seed)
    train_split, val_split = data.split("train"), data.split("val")
    test_key = "test" if "test" in data.splits else "val"
    test_split = data.splits[test_key]
    listener.data_loaded(data)
    if listener.should_stop():  # loading FER2013 takes a while; don't import TensorFlow for a cancelled job
        raise TrainingCancelled("training was cancelled; no model was saved")

    listener.phase("building model")
    keras = import_keras()

    checkpoints = checkpoint_path(cfg.checkpoint_dir, name)
    with sole_run(checkpoints):
        resuming = cfg.resume and (checkpoints / "epochs.csv").exists()
        if not cfg.resume and checkpoints.exists() and any(checkpoints.iterdir()):
            raise ValueError(
                f"{checkpoints} holds the checkpoint of an unfinished run of {name!r}; "
                "add --resume to go on with it, or delete that folder to start again"
            )
        checkpoints.mkdir(parents=True, exist_ok=True)
        soft_labels = teacher is not None or cfg.mixup > 0
        train_y, val_y = train_split.y, val_split.y
        if teacher is not None:
            listener.phase("scoring with the teacher")
            train_y = soft_targets(teacher.path, train_split.x, train_split.y, cfg.teacher_weight)
        if soft_labels:
            train_y, val_y = (train_y if train_y.ndim == 2 else one_hot(train_y)), one_hot(val_y)

        keras.utils.set_random_seed(cfg.seed)
        batches = math.ceil(len(train_split) / cfg.batch_size)
        init_from = registry.resolve(cfg.init_from) if cfg.init_from else None
        start_from = _initial_weights(init_from, cfg.arch) if init_from else None
        if cfg.mixed_precision:
            keras.mixed_precision.set_global_policy("mixed_bfloat16")
        try:
            steps = batches * int(cfg.epochs)
            model = architectures.build(
                cfg.arch, total_steps=steps, learning_rate=cfg.learning_rate, soft_labels=soft_labels
            )
        finally:
            keras.mixed_precision.set_global_policy("float32")
        if start_from is not None:
            model.set_weights(start_from)
        train_ds = make_dataset(
            train_split.x,
            train_y,
            cfg.batch_size,
            training=True,
            seed=cfg.seed,
            augment=cfg.augment,
            random_erasing=arch.random_erasing,
            mixup_alpha=cfg.mixup,
        )
        val_ds = make_dataset(val_split.x, val_y, cfg.batch_size, training=False)
        mode = "max" if arch.monitor.endswith("accuracy") else "min"
        best_file = checkpoints / "best.weights.h5"
        callbacks = [
            keras.callbacks.BackupAndRestore(str(checkpoints / "backup"), delete_checkpoint=False),
            keras.callbacks.ModelCheckpoint(
                str(best_file), monitor=arch.monitor, mode=mode, save_best_only=True, save_weights_only=True
            ),
            keras.callbacks.CSVLogger(str(checkpoints / "epochs.csv"), append=True),
            keras.callbacks.EarlyStopping(monitor=arch.monitor, mode=mode, patience=cfg.patience),
            _progress(keras, listener, batches),
        ]
        if not architectures.uses_schedule(cfg.arch):
            callbacks.insert(
                -1,
                keras.callbacks.ReduceLROnPlateau(
                    monitor="val_loss", factor=0.5, patience=max(2, cfg.patience // 3), min_lr=1e-6
                ),
            )
        if resuming:
            restore_best_score(callbacks[1], checkpoints / "epochs.csv", arch.monitor)

        listener.phase("training")
        fit_started = time.monotonic()
        model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=int(cfg.epochs),
            class_weight=class_weights(train_split.y, power=0.5 if arch.label_smoothing else 1.0),
            callbacks=callbacks,
            shuffle=False,  # the tf.data pipeline shuffles
            verbose=0,
        )
        if listener.should_stop():
            raise TrainingCancelled(
                "training was cancelled; the checkpoint is kept: resume it or delete " + str(checkpoints)
            )
        logs = read_epoch_log(checkpoints / "epochs.csv")
        best_epoch = best_epoch_of(logs, arch.monitor)
        if best_file.exists():
            model.load_weights(best_file)
        if cfg.mixed_precision:  # the same weights in a float32 model: what is evaluated is what is shipped
            weights = model.get_weights()
            model = architectures.build(cfg.arch, total_steps=batches * int(cfg.epochs))
            model.set_weights(weights)
        fit_seconds = time.monotonic() - fit_started

        listener.phase("evaluating")
        metrics = evaluate_arrays(model, test_split.x, test_split.y)
        metrics["split"] = split_name(data, test_key)
        metrics["data"] = data.source

        listener.phase("saving")
        meta = {
            "name": name,
            "labels": list(EMOTIONS),
            "input_shape": [int(v) for v in model.input_shape[1:]],
            "preprocessing": {
                "color": "grayscale",
                "resize": [int(v) for v in model.input_shape[1:3]],
                "input_range": [0, 255],
                "scaling": arch.scaling,
                "augmentation": (
                    "flip, ±10° rotation, ±10% shift and zoom, ±20% contrast"
                    + (", random erasing" if arch.random_erasing else "")
                    + (f", mixup (alpha {cfg.mixup:g})" if cfg.mixup else "")
                    if cfg.augment
                    else "none"
                ),
            },
            "architecture": cfg.arch,
            "parameters": int(model.count_params()),
            "data": data.describe(),
            "splits": {
                "train": data.split_sources.get("train"),
                "val": f"{data.split_sources.get('val')} (early stopping and learning rate)",
                "test": f"{data.split_sources.get(test_key)} (final figures only)",
            },
            "epochs": {"requested": int(cfg.epochs), "run": len(logs.get("loss", [])), "best": best_epoch},
            "selection": f"the epoch with the best {arch.monitor}",
            "optimizer": arch.optimizer,
            "learning_rate": float(cfg.learning_rate or arch.learning_rate),
            "initialized_from": _init_description(init_from),
            "distillation": describe(teacher, cfg.teacher_weight),
            "precision": "mixed_bfloat16 (saved as float32)" if cfg.mixed_precision else "float32",
            "label_smoothing": arch.label_smoothing,
            "batch_size": int(cfg.batch_size),
            "seed": int(cfg.seed),
            "config": asdict(cfg),
            "command": cfg.command,
            "machine": _machine(),
            "training_time_s": round(time.monotonic() - started, 1),
            "fit_time_s": round(fit_seconds, 1),
            "fit_time_note": "this process only; a resumed run's earlier processes are in the epoch log's times"
            if resuming
            else "one uninterrupted process",
            "history": logs,
            "keras_version": keras.__version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "metrics": metrics,
        }
        info = registry.save_model(model, name, meta, root, overwrite=cfg.overwrite or resuming)
        shutil.rmtree(checkpoints, ignore_errors=True)
        return TrainResult(info=info, metrics=metrics, history=logs)


def _initial_weights(info: registry.ModelInfo, arch: str) -> list[Any]:
    """The weights of the ``--init-from`` model, checked to be the architecture being trained."""
    if info.meta.get("architecture") != arch:
        raise ValueError(
            f"{info.name} is a {info.meta.get('architecture') or 'different'} model, not {arch}: "
            f"--init-from needs a model of the architecture being trained"
        )
    return load_model(info).get_weights()


def _init_description(info: registry.ModelInfo | None) -> dict[str, Any] | None:
    """Which model the run continued, and how far that one had trained (for meta.json)."""
    if info is None:
        return None
    return {
        "model": info.name,
        "epochs": info.meta.get("epochs"),
        "training_time_s": info.meta.get("training_time_s"),
        "command": info.meta.get("command"),
        "accuracy": (info.meta.get("metrics") or {}).get("accuracy"),
    }


def _machine() -> str:
    """The machine in words, for meta.json: training times mean little without it."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} CPU cores ({cpu}), {system}"


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
