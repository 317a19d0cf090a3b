"""The checkpoint folder's pieces that make ``--resume`` pick the same best epoch (no TensorFlow)."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from emuse.training.checkpoints import best_epoch_of, checkpoint_path, read_epoch_log, restore_best_score, sole_run

# What Keras' CSVLogger writes across two processes of one run: a resumed run appends, without a header.
LOG = """epoch,accuracy,loss,val_accuracy,val_loss
0,0.31,1.80,0.35,1.70
1,0.42,1.55,0.47,1.40
2,0.50,1.30,0.44,1.45
"""


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "epochs.csv"
    path.write_text(LOG)
    return path


def test_read_epoch_log_reads_every_process_of_a_resumed_run(log: Path) -> None:
    logs = read_epoch_log(log)
    assert logs["val_accuracy"] == [0.35, 0.47, 0.44]
    assert logs["loss"] == [1.80, 1.55, 1.30]
    assert "epoch" not in logs


def test_read_epoch_log_of_a_run_not_started_is_empty(tmp_path: Path) -> None:
    assert read_epoch_log(tmp_path / "epochs.csv") == {}


def test_best_epoch_follows_the_monitor_direction(log: Path) -> None:
    logs = read_epoch_log(log)
    assert best_epoch_of(logs, "val_accuracy") == 2  # highest accuracy
    assert best_epoch_of(logs, "val_loss") == 2  # lowest loss
    assert best_epoch_of(logs, "loss") == 3
    assert best_epoch_of({}, "val_loss") == 0


def test_restore_best_score_gives_a_fresh_checkpoint_the_best_so_far(log: Path, tmp_path: Path) -> None:
    by_accuracy, by_loss = SimpleNamespace(best=None), SimpleNamespace(best=None)
    restore_best_score(by_accuracy, log, "val_accuracy")
    restore_best_score(by_loss, log, "val_loss")
    assert (by_accuracy.best, by_loss.best) == (0.47, 1.40)
    untouched = SimpleNamespace(best="initial")
    restore_best_score(untouched, tmp_path / "missing.csv", "val_loss")
    assert untouched.best == "initial"


def test_checkpoint_path_defaults_to_one_folder_per_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMUSE_DATA_DIR", str(tmp_path))
    assert checkpoint_path(None, "mine") == tmp_path / "checkpoints" / "mine"
    assert checkpoint_path(str(tmp_path / "job" / "checkpoint"), "mine") == tmp_path / "job" / "checkpoint"


def test_a_second_live_run_of_the_same_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints" / "mine"
    folder.mkdir(parents=True)
    errors: list[str] = []

    def second() -> None:
        try:
            with sole_run(folder):
                errors.append("entered")
        except ValueError as error:
            errors.append(str(error))

    with sole_run(folder):
        thread = threading.Thread(target=second)
        thread.start()
        thread.join()
    assert len(errors) == 1 and "another training run is using" in errors[0] and "--out" in errors[0]
    with sole_run(folder):  # released once the first run ends
        pass
