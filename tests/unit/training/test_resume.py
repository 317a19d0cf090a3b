"""eMuse's own recipe on tiny generated data: resume after a crash, the array cache, the two model folders."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from emuse import config, registry
from emuse.training import synthetic
from emuse.training.data_cache import load_cached
from emuse.training.train import TrainConfig, TrainListener, train


class Crash(Exception):
    """Stands for the process dying (a session that ends) right after an epoch was checkpointed."""


class Recorder(TrainListener):
    def __init__(self, crash_after: int | None = None) -> None:
        self.crash_after = crash_after
        self.epochs: list[tuple[int, dict[str, float]]] = []

    def epoch(self, epoch: int, logs: dict[str, float]) -> None:
        self.epochs.append((epoch, logs))
        if epoch == self.crash_after:
            raise Crash


@pytest.fixture(scope="module")
def fer_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = synthetic.make_folders(tmp_path_factory.mktemp("fer") / "d", per_class=6, splits=("train", "val"))
    return synthetic.zip_folder(folder, folder.parent / "fer.zip")


def config_for(data: Path, name: str, **changes: object) -> TrainConfig:
    fields: dict[str, object] = {"arch": "emuse_resnet", "epochs": 3, "batch_size": 8, "seed": 5, **changes}
    return TrainConfig(data=str(data), name=name, **fields)  # type: ignore[arg-type]


def test_a_run_killed_after_epoch_1_resumes_at_epoch_2_on_the_same_schedule(fer_zip: Path, tmp_path: Path) -> None:
    whole = Recorder()
    train(config_for(fer_zip, "whole"), whole, tmp_path)

    crashed = Recorder(crash_after=1)
    with pytest.raises(Crash):
        train(config_for(fer_zip, "resumed"), crashed, tmp_path)
    checkpoints = config.data_dir() / "checkpoints" / "resumed"
    assert (checkpoints / "backup").is_dir() and (checkpoints / "best.weights.h5").is_file()
    assert not (tmp_path / "resumed").exists()  # nothing is registered until the run ends

    with pytest.raises(ValueError, match="--resume"):  # a leftover checkpoint is never silently overwritten
        train(config_for(fer_zip, "resumed"), Recorder(), tmp_path)

    resumed = Recorder()
    result = train(config_for(fer_zip, "resumed", resume=True), resumed, tmp_path)
    assert [epoch for epoch, _ in resumed.epochs] == [2, 3]
    # the optimizer's step count came back, so the warm-up + cosine schedule goes on where it was
    lr_whole = {epoch: logs["learning_rate"] for epoch, logs in whole.epochs}
    assert [logs["learning_rate"] for _, logs in resumed.epochs] == pytest.approx([lr_whole[2], lr_whole[3]])
    meta = result.info.meta
    assert meta["epochs"]["run"] == 3 and len(meta["history"]["loss"]) == 3
    assert 1 <= meta["epochs"]["best"] <= 3
    assert meta["history"]["val_accuracy"][meta["epochs"]["best"] - 1] == max(meta["history"]["val_accuracy"])
    assert not checkpoints.exists()  # cleaned up once the model is saved


def test_meta_records_data_hash_command_and_machine(fer_zip: Path, tmp_path: Path) -> None:
    result = train(config_for(fer_zip, "described", epochs=1, command="python -m emuse train ..."), None, tmp_path)
    meta = json.loads((result.info.path / "meta.json").read_text())
    assert meta["data"]["sha256"] == hashlib.sha256(fer_zip.read_bytes()).hexdigest()
    assert meta["command"] == "python -m emuse train ..." and "CPU cores" in meta["machine"]
    assert meta["metrics"]["split"] == "val/"  # a val/ folder is named as such, not "validation (from train/)"
    assert meta["label_smoothing"] == 0.1 and "random erasing" in meta["preprocessing"]["augmentation"]


def test_the_decoded_arrays_are_cached_by_content(fer_zip: Path, tmp_path: Path) -> None:
    first = load_cached(fer_zip, tmp_path)
    cached = sorted(tmp_path.glob("fer-*.npz"))
    assert len(cached) == 1
    second = load_cached(fer_zip, tmp_path)
    for name in first.splits:
        assert np.array_equal(first.split(name).x, second.split(name).x)
        assert np.array_equal(first.split(name).y, second.split(name).y)
    assert second.split_sources == first.split_sources and second.sha256 == first.sha256
    cached[0].write_bytes(b"not an npz")  # a damaged cache is rebuilt, never trusted
    assert np.array_equal(load_cached(fer_zip, tmp_path).split("train").x, first.split("train").x)


def test_trained_models_live_under_the_data_folder_and_only_they_can_be_deleted(
    fer_zip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = config.models_dir()
    before = sorted(p.name for p in shipped.iterdir())
    info = train(config_for(fer_zip, "mine", epochs=1), None).info
    assert info.path.parent == config.user_models_dir()
    assert sorted(p.name for p in shipped.iterdir()) == before  # the repository's models/ is untouched
    names = [m.name for m in registry.list_models()]
    assert "mine" in names and registry.default_model_name() in names
    with pytest.raises(registry.ModelError, match="already exists"):
        registry.check_name("mine")
    with pytest.raises(registry.ModelError, match="ships with eMuse"):
        registry.delete_model(registry.DEFAULT_MODEL)
    registry.delete_model("mine")
    assert "mine" not in [m.name for m in registry.list_models()] and not info.path.exists()


def test_epoch_log_is_one_row_per_epoch(fer_zip: Path, tmp_path: Path) -> None:
    crashed = Recorder(crash_after=2)
    with pytest.raises(Crash):
        train(config_for(fer_zip, "log"), crashed, tmp_path)
    with open(config.data_dir() / "checkpoints" / "log" / "epochs.csv") as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == ["0", "1"]
