"""Training data, metrics, charts and job bookkeeping: everything that needs no TensorFlow."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from emuse.labels import EMOTIONS
from emuse.training import charts, jobs, synthetic
from emuse.training.data import DataError, Split, load, split_key, stratified_split
from emuse.training.data_checks import check_upload, quick_check
from emuse.training.dataset import class_weights
from emuse.training.metrics import classification_metrics, confusion_counts


@pytest.fixture(scope="module")
def fer_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic.make_csv(tmp_path_factory.mktemp("csv") / "fer2013.csv", {"train": 5, "val": 3, "test": 2})


@pytest.fixture(scope="module")
def fer_folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic.make_folders(tmp_path_factory.mktemp("folders") / "fer2013", per_class=10)


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def pixels(value: int = 0, count: int = 2304) -> str:
    return " ".join([str(value)] * count)


# ----------------------------------------------------------------------------- loading


def test_csv_uses_the_usage_column_for_splits(fer_csv: Path) -> None:
    data = load(fer_csv)
    assert data.layout == "csv"
    assert {name: len(split) for name, split in data.splits.items()} == {"train": 35, "val": 21, "test": 14}
    assert data.splits["train"].class_counts() == [5] * 7
    assert data.splits["train"].x.shape == (35, 48, 48) and data.splits["train"].x.dtype == np.uint8
    assert data.split_sources == {"train": "Usage=Training", "val": "Usage=PublicTest", "test": "Usage=PrivateTest"}
    # the pixels are the ones written: row 2 of the file is the first training image of class 0
    first = np.array(fer_csv.read_text().splitlines()[1].split(",")[1].split(), dtype=np.uint8).reshape(48, 48)
    assert np.array_equal(data.splits["train"].x[0], first)


def test_folders_get_a_stratified_seeded_validation_split(fer_folders: Path) -> None:
    data = load(fer_folders, val_fraction=0.2, seed=7)
    assert data.layout == "folders"
    assert data.splits["test"].class_counts() == [10] * 7
    assert data.splits["val"].class_counts() == [2] * 7  # 20% of every class, aliases mapped (disgusted, ...)
    assert data.splits["train"].class_counts() == [8] * 7
    again = load(fer_folders, val_fraction=0.2, seed=7)
    assert np.array_equal(data.splits["val"].x, again.splits["val"].x)
    other = load(fer_folders, val_fraction=0.2, seed=8)
    assert not np.array_equal(data.splits["val"].x, other.splits["val"].x)
    # train + val are exactly the train/ folder's images
    together = np.concatenate([data.splits["train"].x, data.splits["val"].x]).reshape(70, -1)
    assert len({row.tobytes() for row in together}) == 70


def test_zip_of_folders_and_zip_of_csv(fer_folders: Path, fer_csv: Path, tmp_path: Path) -> None:
    zipped = load(synthetic.zip_folder(fer_folders, tmp_path / "fer.zip"))
    plain = load(fer_folders)
    for name in ("train", "val", "test"):
        assert np.array_equal(zipped.splits[name].x, plain.splits[name].x)
    with zipfile.ZipFile(tmp_path / "csv.zip", "w") as zf:
        zf.write(fer_csv, "data/fer2013.csv")
    assert len(load(tmp_path / "csv.zip").splits["test"]) == 14


def test_class_folders_without_splits_are_a_test_set(tmp_path: Path) -> None:
    synthetic.make_folders(tmp_path / "labeled", per_class=2, splits=("train",))
    data = load(tmp_path / "labeled" / "train")
    assert list(data.splits) == ["test"] and data.splits["test"].class_counts() == [2] * 7


def test_csv_without_usage_carves_validation_and_test(tmp_path: Path) -> None:
    rows = [f"{label},{pixels(label)}" for label in range(7) for _ in range(10)]
    data = load(write_csv(tmp_path / "train.csv", "emotion,pixels", rows))
    assert data.splits["test"].class_counts() == [1] * 7 and data.splits["val"].class_counts() == [1] * 7
    assert len(data.splits["train"]) == 56


def test_split_names() -> None:
    assert split_key("PublicTest") == "val" and split_key("PrivateTest") == "test" and split_key("Training") == "train"
    with pytest.raises(DataError, match="unknown split"):
        split_key("holdout")


def test_stratified_split_keeps_one_of_a_class_in_train() -> None:
    split = Split(np.zeros((3, 48, 48), np.uint8), np.array([0, 0, 1]))
    train, val = stratified_split(split, 0.5, 0)
    assert train.y.tolist().count(0) == 1 and val.y.tolist() == [0] and train.y.tolist().count(1) == 1


# ----------------------------------------------------------------------------- bad data


def test_wrong_pixel_count_names_file_and_row(tmp_path: Path) -> None:
    rows = [f"0,{pixels()},Training", f"1,{pixels(count=2000)},Training"]
    path = write_csv(tmp_path / "short.csv", "emotion,pixels,Usage", rows)
    with pytest.raises(DataError, match=r"short\.csv, row 3: 2000 pixel values, expected 2304"):
        load(path)


def test_non_numeric_pixels(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", "emotion,pixels,Usage", [f"0,{pixels(count=2303)} 9x,Training"])
    with pytest.raises(DataError, match=r"x\.csv, row 2: pixels must be whole numbers 0\.\.255"):
        load(path)
    path = write_csv(tmp_path / "y.csv", "emotion,pixels,Usage", [f"0,{pixels(count=2303)} 300,Training"])
    with pytest.raises(DataError, match=r"y\.csv, row 2: pixel values must be 0\.\.255"):
        load(path)


def test_unknown_label_names_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", "emotion,pixels,Usage", [f"0,{pixels()},Training", f"9,{pixels()},Training"])
    with pytest.raises(DataError, match=r"l\.csv, row 3: unknown label '9'"):
        load(path)


def test_unknown_usage_names_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", "emotion,pixels,Usage", [f"0,{pixels()},Holdout"])
    with pytest.raises(DataError, match=r"u\.csv, row 2: Usage 'Holdout'"):
        load(path)


def test_missing_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", "label,pixels,Usage", [f"0,{pixels()},Training"])
    with pytest.raises(DataError, match=r"m\.csv: missing column 'emotion'"):
        load(path)
    with pytest.raises(DataError, match="missing column 'emotion'"):
        quick_check(path)


def test_empty_class_is_named(tmp_path: Path) -> None:
    rows = [f"{label},{pixels()},Training" for label in (0, 2, 3, 4, 5, 6)] + [f"1,{pixels()},PrivateTest"]
    path = write_csv(tmp_path / "e.csv", "emotion,pixels,Usage", rows)
    with pytest.raises(DataError, match="training split has no images of disgust"):
        load(path)


def test_empty_class_folder(tmp_path: Path) -> None:
    synthetic.make_folders(tmp_path / "f", per_class=2)
    for file in (tmp_path / "f" / "train" / "fearful").iterdir():
        file.unlink()
    with pytest.raises(DataError, match="no images of fear"):
        load(tmp_path / "f")


def test_not_a_zip(tmp_path: Path) -> None:
    fake = tmp_path / "fer2013.zip"
    fake.write_text("emotion,pixels,Usage\n")
    with pytest.raises(DataError, match=r"fer2013\.zip is not a zip file"):
        load(fake)
    with pytest.raises(DataError, match="is not a zip file"):
        quick_check(fake)
    with open(fake, "rb") as stream, pytest.raises(DataError, match="is not a zip file"):
        check_upload("fer2013.zip", stream)


def test_unknown_class_folder_and_broken_image(tmp_path: Path) -> None:
    synthetic.make_folders(tmp_path / "f", per_class=2)
    (tmp_path / "f" / "train" / "contempt").mkdir()
    (tmp_path / "f" / "train" / "contempt" / "a.png").write_bytes(b"png")
    with pytest.raises(DataError, match="'train/contempt' is not an emotion"):
        load(tmp_path / "f")
    (tmp_path / "f" / "train" / "contempt" / "a.png").rename(tmp_path / "f" / "train" / "happy" / "broken.png")
    with pytest.raises(DataError, match=r"train/happy/broken\.png is not a readable image"):
        load(tmp_path / "f")


def test_missing_path_and_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load(tmp_path / "nope.csv")
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(DataError, match=r"expected a \.csv file"):
        load(tmp_path / "a.txt")


def test_upload_checks_rewind_the_stream(fer_csv: Path) -> None:
    with open(fer_csv, "rb") as stream:
        assert "emotion" in check_upload("fer2013.csv", stream)
        assert stream.tell() == 0


# ----------------------------------------------------------------------------- metrics


def test_metrics_by_hand() -> None:
    y_true = np.array([0, 0, 0, 1, 3, 3])
    y_pred = np.array([0, 0, 3, 1, 3, 0])
    metrics = classification_metrics(y_true, y_pred)
    counts = np.array(metrics["confusion_matrix"]["counts"])
    assert counts.sum() == metrics["n"] == 6
    assert counts[0].tolist() == [2, 0, 0, 1, 0, 0, 0]  # rows are true labels, columns predictions
    assert counts.sum(axis=1).tolist() == [metrics["per_class"][e]["support"] for e in EMOTIONS]
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    angry = metrics["per_class"]["angry"]
    assert angry["precision"] == pytest.approx(2 / 3) and angry["recall"] == pytest.approx(2 / 3)
    assert metrics["per_class"]["disgust"]["f1"] == 1.0
    assert metrics["per_class"]["fear"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    f1s = [metrics["per_class"][e]["f1"] for e in EMOTIONS]
    assert metrics["macro_f1"] == pytest.approx(sum(f1s) / 7)
    normalized = np.array(metrics["confusion_matrix"]["normalized"])
    assert normalized[[0, 1, 3]].sum(axis=1) == pytest.approx([1, 1, 1]) and normalized[2].sum() == 0
    json.dumps(metrics)  # JSON-ready


def test_confusion_counts_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="3 true labels but 2 predictions"):
        confusion_counts(np.array([0, 1, 2]), np.array([0, 1]))


def test_class_weights_favour_rare_classes() -> None:
    y = np.array([3] * 70 + [1] * 2 + [0, 2, 4, 5, 6] * 10)
    weights = class_weights(y)
    assert weights[1] > weights[0] > weights[3]
    assert sum(weights[c] * n for c, n in enumerate(np.bincount(y))) == pytest.approx(len(y))


# ----------------------------------------------------------------------------- charts


def test_charts_from_metrics_and_history() -> None:
    metrics = classification_metrics(np.arange(7), np.arange(7))
    figure = charts.confusion_figure(metrics)
    assert np.array(figure.data[0].z).shape == (7, 7) and list(figure.data[0].x) == list(EMOTIONS)
    assert np.array(charts.confusion_figure(metrics, normalized=False).data[0].z).sum() == 7
    assert charts.per_class_frame(metrics).index.tolist() == list(EMOTIONS)
    history = {"loss": [2.0, 1.5], "val_loss": [2.1, 1.9], "accuracy": [0.2, 0.4], "val_accuracy": [0.1, 0.3]}
    frame = charts.history_frame(history)
    assert len(frame) == 8 and set(frame["split"]) == {"training", "validation"}
    assert len(charts.history_figure(history).data) == 4
    assert charts.format_duration(3725) == "1 h 2 min" and charts.format_duration(None) == "estimating…"
    text = charts.progress_text({"phase": "training", "epoch": 2, "epochs": 5, "batch": 3, "batches": 9, "eta_s": 90})
    assert text.startswith("Epoch 2/5 · batch 3/9 · about 1 min left")


# ----------------------------------------------------------------------------- jobs (no process started)


def _fake_job(state: str, pid: int, create_time: float) -> jobs.Job:
    path = jobs.jobs_dir() / f"20990101-000000-{state}"
    path.mkdir()
    jobs.write_json(path / "request.json", {"kind": "train", "arch": "mini_xception"})
    jobs.write_json(path / "status.json", {"state": state, "created_ts": 0})
    jobs.write_json(path / "pid.json", {"pid": pid, "create_time": create_time})
    return jobs.Job(path)


def test_a_running_job_is_reattached_not_duplicated() -> None:
    import psutil

    me = psutil.Process(os.getpid())
    job = _fake_job("running", me.pid, me.create_time())
    assert jobs.active_job() == job
    again, started = jobs.start_job({"kind": "train", "data": "x.csv"})
    assert (again, started) == (job, False)
    job.cancel()
    assert job.cancel_requested


def test_a_dead_job_is_reported_failed() -> None:
    job = _fake_job("running", os.getpid(), 1.0)  # create time doesn't match: the pid was reused
    status = job.status()
    assert status["state"] == "failed" and "stopped unexpectedly" in status["error"]
    assert json.loads((job.path / "status.json").read_text())["state"] == "failed"
    assert jobs.active_job() is None


def test_unknown_job_kind() -> None:
    with pytest.raises(jobs.JobError, match="unknown job kind"):
        jobs.start_job({"kind": "dance"})


def test_json_is_written_atomically(tmp_path: Path) -> None:
    jobs.write_json(tmp_path / "s.json", {"a": 1})
    assert json.loads((tmp_path / "s.json").read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]
