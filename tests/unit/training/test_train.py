"""Training for real on a tiny synthetic FER2013: architectures, one-epoch runs, the registry, CLI and jobs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from emuse import registry
from emuse.cli import main
from emuse.files import locked
from emuse.labels import EMOTIONS
from emuse.training import architectures, jobs, synthetic
from emuse.training.data import load
from emuse.training.evaluate import evaluate, load_model, predict_scores
from emuse.training.train import TrainConfig, TrainListener, train
from tests.support.paths import ROOT


@pytest.fixture(scope="module")
def fer_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic.make_csv(tmp_path_factory.mktemp("csv") / "fer2013.csv", {"train": 12, "val": 4, "test": 4})


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def _models_env(models_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(models_root))


class Recorder(TrainListener):
    def __init__(self) -> None:
        self.phases: list[str] = []
        self.epochs: list[dict[str, float]] = []
        self.batches = 0

    def phase(self, name: str) -> None:
        self.phases.append(name)

    def batch(self, epoch: int, batch: int, batches: int) -> None:
        self.batches += 1

    def epoch(self, epoch: int, logs: dict[str, float]) -> None:
        self.epochs.append(logs)


@pytest.fixture(scope="module")
def trained(fer_csv: Path, models_root: Path) -> tuple[registry.ModelInfo, Recorder]:
    recorder = Recorder()
    cfg = TrainConfig(data=str(fer_csv), arch="mini_xception", epochs=1, batch_size=16, name="tiny", seed=3)
    result = train(cfg, recorder, models_root)
    return result.info, recorder


def test_original_cnn_is_the_original_architecture() -> None:
    model = architectures.build("original_cnn")
    layers = [
        (type(layer).__name__, getattr(layer, "filters", None) or getattr(layer, "units", None))
        for layer in model.layers
    ]
    assert layers == [
        ("Rescaling", None),
        ("Conv2D", 32), ("Conv2D", 64), ("MaxPooling2D", None), ("Dropout", None),
        ("Conv2D", 128), ("MaxPooling2D", None), ("Conv2D", 128), ("MaxPooling2D", None), ("Dropout", None),
        ("Flatten", None), ("Dense", 1024), ("Dropout", None), ("Dense", 7),
    ]  # fmt: skip
    assert [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"] == [0.25, 0.25, 0.5]
    assert model.input_shape == (None, 48, 48, 1) and model.layers[-1].activation.__name__ == "softmax"


@pytest.mark.parametrize("name", sorted(architectures.ARCHITECTURES))
def test_every_architecture_takes_raw_pixels(name: str) -> None:
    model = architectures.build(name)
    assert model.input_shape == (None, 48, 48, 1) and model.output_shape == (None, 7)
    assert type(model.layers[0] if name == "original_cnn" else model.layers[1]).__name__ == "Rescaling"
    scores = np.asarray(model(np.full((2, 48, 48, 1), 255.0, np.float32), training=False))
    assert scores.shape == (2, 7) and np.allclose(scores.sum(axis=1), 1, atol=1e-5)


def test_unknown_architecture() -> None:
    with pytest.raises(ValueError, match="unknown architecture 'resnet'; choose one of"):
        architectures.get("resnet")


def test_one_epoch_run_saves_a_complete_model(trained: tuple[registry.ModelInfo, Recorder]) -> None:
    info, recorder = trained
    assert recorder.phases == ["loading data", "building model", "training", "evaluating", "saving"]
    assert len(recorder.epochs) == 1 and {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(recorder.epochs[0])
    assert recorder.batches == 6  # 84 training images in batches of 16
    meta = info.meta
    for key in ("labels", "input_shape", "preprocessing", "architecture", "data", "splits", "epochs", "seed",
                "training_time_s", "metrics"):  # fmt: skip
        assert key in meta, key
    assert meta["labels"] == list(EMOTIONS) and meta["input_shape"] == [48, 48, 1] and meta["seed"] == 3
    assert meta["preprocessing"]["input_range"] == [0, 255] and "Rescaling" in meta["preprocessing"]["scaling"]
    assert meta["data"]["counts"]["train"]["disgust"] == 12 and meta["epochs"]["run"] == 1
    assert "PublicTest" in meta["splits"]["val"] and "PrivateTest" in meta["splits"]["test"]
    metrics = meta["metrics"]
    assert {"accuracy", "macro_f1", "per_class", "confusion_matrix"} <= set(metrics)
    counts = np.array(metrics["confusion_matrix"]["counts"])
    assert counts.shape == (7, 7) and counts.sum() == metrics["n"] == 28
    assert counts.sum(axis=1).tolist() == [4] * 7
    assert metrics["accuracy"] == pytest.approx(np.trace(counts) / 28)
    assert metrics["split"] == "PrivateTest"
    assert [m.name for m in registry.list_models()] == ["tiny"]  # nothing half-saved is listed


def test_saved_model_reloads_and_predicts_the_same(trained: tuple[registry.ModelInfo, Recorder], fer_csv: Path) -> None:
    info, _ = trained
    test = load(fer_csv).split("test")
    scores = predict_scores(load_model(info), test.x, info.labels)
    assert scores.shape == (28, 7)
    assert classification_accuracy(scores, test.y) == pytest.approx(info.meta["metrics"]["accuracy"])
    # the live classifier (raw 0..255 pixels, meta.json labels and input shape) gives the same scores
    from emuse.vision.classifier import EmotionClassifier

    live = EmotionClassifier("tiny")
    assert np.allclose(live.predict_batch(test.x), scores, atol=1e-5)
    assert evaluate("tiny", fer_csv)["accuracy"] == pytest.approx(info.meta["metrics"]["accuracy"])


def classification_accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    return float((scores.argmax(axis=1) == y).mean())


def test_name_clash_is_refused_before_training(fer_csv: Path, trained: object) -> None:
    with pytest.raises(registry.ModelError, match="already exists"):
        train(TrainConfig(data=str(fer_csv), epochs=1, name="tiny"))


def test_shipped_model_evaluates_on_48px_data(fer_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(ROOT / "models"))
    metrics = evaluate(None, fer_csv, "PublicTest")  # the default ensemble: a 48x48 and a 64x64 member
    assert metrics["model"] == "emuse_resnet_ensemble" and metrics["split"] == "PublicTest" and metrics["n"] == 28
    fer = evaluate("fer2013_mini_xception", fer_csv, "PublicTest")  # 64x64 model, images resized
    assert fer["n"] == 28 and 0 <= fer["accuracy"] <= 1


# ----------------------------------------------------------------------------- command line


def test_cli_train_evaluate_list(fer_csv: Path, models_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = models_root / "cli_model"
    assert main(["train", "--data", str(fer_csv), "--arch", "original_cnn", "--epochs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert f"saved {out}" in printed.out and "epoch 1/1" in printed.err
    assert (out / "model.keras").is_file() and registry.read_meta(out).meta["architecture"] == "original_cnn"

    assert main(["evaluate", "--model", "cli_model", "--data", str(fer_csv), "--split", "val", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["model"] == "cli_model" and metrics["split"] == "PublicTest"
    assert sum(map(sum, metrics["confusion_matrix"]["counts"])) == metrics["n"] == 28
    assert set(metrics["per_class"]) == set(EMOTIONS)

    assert main(["evaluate", "--model", str(out), "--data", str(fer_csv)]) == 0
    assert "confusion matrix (rows: true, columns: predicted)" in capsys.readouterr().out

    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "cli_model" in listing and "original_cnn" in listing


def test_cli_bad_data_is_one_line_exit_2(tmp_path: Path, models_root: Path) -> None:
    fake = tmp_path / "fer.zip"
    fake.write_text("not a zip")
    proc = subprocess.run(
        [sys.executable, "-m", "emuse", "train", "--data", str(fake), "--epochs", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**_env(), "EMUSE_MODELS_DIR": str(models_root)},
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"emuse: error: {fake} is not a zip file (it may be damaged or have the wrong name); re-create the zip"
    ]


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


# ----------------------------------------------------------------------------- background jobs


def wait_for(job: jobs.Job, states: tuple[str, ...], timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job.status()
        if status.get("state") in states:
            return status
        time.sleep(0.3)
    raise AssertionError(f"job {job.id} still {job.status()} after {timeout}s; log: {job.log_tail()}")


def test_background_job_reports_progress_and_can_be_cancelled(fer_csv: Path, models_root: Path) -> None:
    request = {"kind": "train", "arch": "mini_xception", "epochs": 500, "batch_size": 16, "name": "cancelled"}
    with open(fer_csv, "rb") as stream:
        job, started = jobs.start_job(request, ("fer2013.csv", stream))
    assert started and job.request()["data"].endswith("upload/fer2013.csv")
    assert jobs.start_job({"kind": "train", "data": str(fer_csv)}) == (job, False)  # no duplicate while it runs
    deadline = time.monotonic() + 240
    while not job.status().get("history", {}).get("loss") and job.active and time.monotonic() < deadline:
        time.sleep(0.3)
    status = job.status()
    assert status["state"] == "running", (status, job.log_tail())
    assert status["phase"] == "training" and status["epochs"] == 500 and status["batches"] == 6
    assert 0 < status["progress"] < 0.01 and status["eta_s"] > 0
    assert status["data"]["counts"]["train"]["happy"] == 12
    job.cancel()
    status = wait_for(job, jobs.FINAL_STATES, timeout=120)
    assert status["state"] == "cancelled" and "cancelled" not in [m.name for m in registry.list_models()]
    assert not (job.path / "upload").exists()  # the uploaded copy is removed when the job ends
    assert jobs.active_job() is None


def test_background_job_reports_bad_data(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("emotion,pixels,Usage\n0,1 2 3,Training\n")
    job, _ = jobs.start_job({"kind": "train", "data": str(bad), "epochs": 1})
    status = wait_for(job, jobs.FINAL_STATES)
    assert status["state"] == "failed" and "row 2: 3 pixel values, expected 2304" in status["error"]


def test_evaluation_job_saves_metrics(trained: tuple[registry.ModelInfo, Recorder], fer_csv: Path) -> None:
    job, _ = jobs.start_job({"kind": "evaluate", "model": "tiny", "data": str(fer_csv), "split": "val", "save": True})
    status = wait_for(job, jobs.FINAL_STATES)
    assert status["state"] == "done", status.get("error")
    assert status["model"] == "tiny" and status["metrics"]["n"] == 28 and status["progress"] == 1.0
    assert registry.resolve("tiny").meta["metrics"]["split"] == "PublicTest"


def test_a_killed_training_job_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    folder = synthetic.make_folders(tmp_path / "fer", per_class=6, splits=("train", "val"))
    request = {"kind": "train", "arch": "emuse_resnet", "epochs": 3, "batch_size": 8, "data": str(folder)}
    job, started = jobs.start_job(request)
    assert started and job.request()["name"] == f"emuse_resnet_{job.id}"  # fixed now, so a resume saves under it
    log = job.path / "checkpoint" / "epochs.csv"
    deadline = time.monotonic() + 300
    while not (log.is_file() and len(log.read_text().splitlines()) >= 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.kill(json.loads((job.path / "pid.json").read_text())["pid"], signal.SIGKILL)  # the session ends
    status = wait_for(job, jobs.FINAL_STATES, timeout=60)
    assert status["state"] == "failed" and "stopped unexpectedly" in status["error"]
    epochs = jobs.resumable_epochs(job)
    assert epochs >= 1
    resumed, started = jobs.resume_job(job)
    assert started and resumed == job and job.request()["resume"] is True
    status = wait_for(job, ("done", "failed"), timeout=300)
    assert status["state"] == "done", (status, job.log_tail())
    meta = registry.resolve(status["model"]).meta
    assert meta["epochs"]["run"] == 3 and len(meta["history"]["loss"]) == 3
    assert not (job.path / "checkpoint").exists()  # cleaned up once the model is saved
    with pytest.raises(jobs.JobError, match="no checkpoint"):
        jobs.resume_job(job)


def test_continued_training_starts_from_the_given_model_and_saves_float32(
    fer_csv: Path, models_root: Path, trained: tuple[registry.ModelInfo, Recorder]
) -> None:
    """--init-from the shipped emuse_resnet with a vanishing learning rate, in bfloat16: the shipped
    weights come back out (so they were loaded), the saved model computes in float32, and meta.json
    says where the run started."""
    shipped = registry.resolve(ROOT / "models" / "emuse_resnet")
    cfg = TrainConfig(
        data=str(fer_csv),
        arch="emuse_resnet",
        epochs=1,
        batch_size=16,
        name="continued",
        init_from=str(shipped.path),
        learning_rate=1e-9,
        mixed_precision=True,
    )
    info = train(cfg, None, models_root).info
    before, after = load_model(shipped), load_model(info)
    kernels = [(w0, w1) for w0, w1 in zip(before.get_weights(), after.get_weights(), strict=True) if w0.ndim == 4]
    assert kernels and all(np.allclose(w0, w1, atol=1e-6) for w0, w1 in kernels)
    assert {layer.dtype_policy.name for layer in after.layers} == {"float32"}
    meta = info.meta
    assert meta["initialized_from"]["model"] == "emuse_resnet"
    assert meta["initialized_from"]["epochs"] == shipped.meta["epochs"]
    assert meta["precision"].startswith("mixed_bfloat16") and meta["learning_rate"] == 1e-9
    # a model of another architecture cannot start the run, and the message says which it is
    with pytest.raises(ValueError, match="mini_xception model, not emuse_resnet"):
        train(TrainConfig(data=str(fer_csv), arch="emuse_resnet", epochs=1, name="x", init_from="tiny"))


def test_a_second_live_run_of_the_same_model_is_refused_and_its_checkpoint_left_alone(
    fer_csv: Path, tmp_path: Path
) -> None:
    """A run still alive holds its checkpoint folder; another run of that model stops before training."""
    checkpoints = tmp_path / "checkpoints"
    (checkpoints / "epochs.csv").parent.mkdir()
    (checkpoints / "epochs.csv").write_text("epoch,accuracy\n0,0.5\n")
    cfg = TrainConfig(
        data=str(fer_csv), epochs=1, batch_size=16, name="busy", checkpoint_dir=str(checkpoints), resume=True
    )
    # The other run, as far as the lock can tell: it holds the folder.
    with locked(checkpoints), pytest.raises(ValueError) as refused:
        train(cfg)
    assert str(refused.value).startswith(f"another training run is using {checkpoints}: wait for it to finish")
    assert (checkpoints / "epochs.csv").read_text() == "epoch,accuracy\n0,0.5\n"
    assert "busy" not in {m.name for m in registry.list_models()}
