"""The job's own process: ``python -m emuse.training.job_runner <job folder>``.

:mod:`emuse.training.jobs` (the server side) writes ``request.json`` and starts this
module in a new process; here the training or evaluation runs, reporting through
``status.json`` (progress, per-epoch history, the outcome). TensorFlow is imported only
here. A training job's checkpoint goes to ``<job folder>/checkpoint`` every epoch, so a
run that dies can be resumed (``"resume": true`` in its request).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from emuse import (
    quiet,  # noqa: F401  (quiet TensorFlow before anything imports it)
    registry,
)
from emuse.registry import ModelError
from emuse.training.data import DataError
from emuse.training.evaluate import evaluate
from emuse.training.jobs import GATE_ENV, WRITE_EVERY_S, now_iso, read_json, write_json
from emuse.training.train import TrainConfig, TrainingCancelled, train


class _StatusWriter:
    """Implements the training listener by rewriting status.json (import-light: no Keras here)."""

    def __init__(self, path: Path, request: dict[str, Any]) -> None:
        self.path = path
        self.status = read_json(path / "status.json")
        self.status.update(state="running", started=now_iso(), phase="starting", history={})
        self.epochs = int(request.get("epochs") or 1)
        self.first_batch_done: float | None = None  # the first batch includes graph tracing: time from its end
        self.last_write = 0.0
        self.write()

    def write(self) -> None:
        self.status["updated"] = now_iso()
        write_json(self.path / "status.json", self.status)
        self.last_write = time.monotonic()

    def phase(self, name: str) -> None:
        self.status["phase"] = name
        self.write()

    def data_loaded(self, data: Any) -> None:
        self.status["data"] = data.describe()
        self.write()

    def batch(self, epoch: int, batch: int, batches: int) -> None:
        done = (epoch - 1) * batches + batch
        total = self.epochs * batches
        now = time.monotonic()
        if self.first_batch_done is None:
            self.first_batch_done, self.first_done = now, done
        timed = done - self.first_done
        self.status.update(
            epoch=epoch,
            epochs=self.epochs,
            batch=batch,
            batches=batches,
            progress=done / total,
            eta_s=round((now - self.first_batch_done) / timed * (total - done), 1) if timed else None,
        )
        if time.monotonic() - self.last_write >= WRITE_EVERY_S:
            self.write()

    def epoch(self, epoch: int, logs: dict[str, float]) -> None:
        history = self.status.setdefault("history", {})
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        self.status["epochs_done"] = epoch
        self.write()
        gate = os.environ.get(GATE_ENV)
        while gate and not (Path(gate) / f"epoch-{epoch}").exists() and not self.should_stop():
            time.sleep(0.1)

    def should_stop(self) -> bool:
        return (self.path / "cancel").exists()

    def finish(self, state: str, **fields: Any) -> None:
        self.status.update(state=state, finished=now_iso(), **fields)
        if state == "done":
            self.status.update(progress=1.0, eta_s=0)
        self.write()


def run(path: Path) -> int:
    """Do the job in ``path`` (called in the job's own process); exit status 0 done, 1 failed, 130 cancelled.

    The uploaded copy is removed *before* the final state is written, so whoever sees a
    job finished also sees its upload gone (a test that checked right after "cancelled"
    once found it still there).
    """
    request = read_json(path / "request.json")
    writer = _StatusWriter(path, request)

    def finish(state: str, **fields: Any) -> None:
        shutil.rmtree(path / "upload", ignore_errors=True)
        writer.finish(state, **fields)

    try:
        run_kind = _run_training if request["kind"] == "train" else _run_evaluation
        result = run_kind(request, writer)
        finish("done", **result)
        return 0
    except Exception as exc:
        if isinstance(exc, TrainingCancelled):
            finish("cancelled", error=str(exc))
            return 130
        traceback.print_exc()
        known = isinstance(exc, DataError | ModelError | ValueError | KeyError)
        finish("failed", error=str(exc) if known else f"{type(exc).__name__}: {exc}")
        return 1
    finally:
        shutil.rmtree(path / "upload", ignore_errors=True)
        sys.stdout.flush()


def _run_training(request: dict[str, Any], writer: _StatusWriter) -> dict[str, Any]:
    fields = {k: request[k] for k in TrainConfig.__dataclass_fields__ if k in request}
    fields["checkpoint_dir"] = str(writer.path / "checkpoint")
    result = train(TrainConfig(**fields), writer)  # type: ignore[arg-type]
    metrics = result.metrics
    if request.get("data_label"):  # the uploaded copy is deleted: record what the person uploaded instead
        label = request["data_label"]
        metrics = {**metrics, "data": label}
        data = {**result.info.meta.get("data", {}), "source": label}
        registry.update_meta(result.info.path, {"data": data, "metrics": metrics})
    return {"model": result.info.name, "model_dir": str(result.info.path), "metrics": metrics}


def _run_evaluation(request: dict[str, Any], writer: _StatusWriter) -> dict[str, Any]:
    writer.phase("evaluating")
    metrics = evaluate(request.get("model"), request["data"], request.get("split", "test"))
    if request.get("save"):
        registry.update_meta(metrics["model"], {"metrics": metrics})
    return {"model": metrics["model"], "metrics": metrics}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not (Path(args[0]) / "request.json").is_file():
        print("usage: python -m emuse.training.job_runner JOB_FOLDER (a folder with request.json)", file=sys.stderr)
        return 2
    return run(Path(args[0]))


if __name__ == "__main__":
    sys.exit(main())
