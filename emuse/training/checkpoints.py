"""The checkpoint folder of a training run: what makes ``--resume`` work.

Every epoch Keras' ``BackupAndRestore`` leaves the weights, the optimizer state (with its
step count, so the learning-rate schedule goes on where it was) and the epoch number in
``<folder>/backup``; ``ModelCheckpoint`` keeps the best epoch's weights in
``best.weights.h5`` and ``CSVLogger`` appends each epoch's figures to ``epochs.csv``. A
run killed at epoch 17 goes on at epoch 18 and picks the same best epoch as an
uninterrupted run, because the best score so far is read back from the log. One live run
holds the folder at a time: a restarted run and a forgotten one once wrote the same
folder's epochs.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emuse import config
from emuse.files import locked


def checkpoint_path(checkpoint_dir: str | None, name: str) -> Path:
    """The run's checkpoint folder: ``checkpoint_dir`` or one per model name under the data folder."""
    return Path(checkpoint_dir) if checkpoint_dir else config.data_dir() / "checkpoints" / name


@contextlib.contextmanager
def sole_run(checkpoints: Path) -> Iterator[None]:
    """Hold a run's checkpoint folder: a second live run of the same model is refused, not mixed into it.

    (It happened: a restarted run and a forgotten one wrote the same folder's epochs.)
    """
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(locked(checkpoints, wait=False))
        except BlockingIOError:
            raise ValueError(
                f"another training run is using {checkpoints}: wait for it to finish or stop it, "
                "or train under another --out name"
            ) from None
        yield


def read_epoch_log(path: Path) -> dict[str, list[float]]:
    """The per-epoch figures CSVLogger wrote, across every process of a resumed run."""
    if not path.exists():
        return {}
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    return {k: [float(row[k]) for row in rows if row.get(k) not in (None, "")] for k in keys}


def best_epoch_of(logs: dict[str, list[float]], monitor: str) -> int:
    """1-based epoch with the best ``monitor`` value (0 when nothing was logged)."""
    values = logs.get(monitor, [])
    if not values:
        return 0
    pick = max if monitor.endswith("accuracy") else min
    return values.index(pick(values)) + 1


def restore_best_score(checkpoint: Any, log: Path, monitor: str) -> None:
    """Tell a fresh ModelCheckpoint the best score so far, so a resumed run keeps the true best epoch."""
    values = read_epoch_log(log).get(monitor, [])
    if values:
        checkpoint.best = max(values) if monitor.endswith("accuracy") else min(values)
