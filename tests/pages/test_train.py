"""The Train & Evaluate page in AppTest: forms, a running job (reattach, cancel), results, comparison.

Jobs here are job folders written by the test (with this process's pid as the
"running" process), so the page is exercised without training anything.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest
from streamlit.testing.v1 import AppTest

from emuse import registry
from emuse.labels import EMOTIONS
from emuse.training import jobs
from emuse.training.metrics import classification_metrics
from tests.support.paths import ROOT

PAGE = str(ROOT / "pages" / "train.py")
HISTORY = {"loss": [1.9, 1.6], "val_loss": [1.95, 1.7], "accuracy": [0.2, 0.35], "val_accuracy": [0.18, 0.3]}


@pytest.fixture(autouse=True)
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two registered models (meta.json only: the page never loads weights)."""
    root = tmp_path / "models"
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(root))
    good = good_metrics()
    base = {"labels": list(EMOTIONS), "input_shape": [48, 48, 1], "architecture": "mini_xception"}
    registry.write_meta(root / "good_model", {**base, "metrics": {**good, "split": "PrivateTest"}, "history": HISTORY})
    registry.write_meta(root / "fer2013_mini_xception", {**base, "input_shape": [64, 64, 1], "metrics": None})
    return root


def good_metrics() -> dict:
    y = np.repeat(np.arange(7), 10)
    return classification_metrics(y, np.where(np.arange(70) % 5 == 0, 3, y))


def fake_job(state: str, **status: object) -> jobs.Job:
    me = psutil.Process(os.getpid())
    path = jobs.jobs_dir() / f"20990101-000000-{state}"
    path.mkdir(parents=True)
    jobs.write_json(path / "request.json", {"kind": "train", "arch": "mini_xception", "epochs": 10})
    jobs.write_json(path / "status.json", {"state": state, "created_ts": 0, **status})
    jobs.write_json(path / "pid.json", {"pid": me.pid, "create_time": me.create_time()})
    return jobs.Job(path)


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_page_offers_training_and_compares_models() -> None:
    at = run_page()
    assert at.title[0].value == "🧠 Train & Evaluate"
    assert [tab.label for tab in at.tabs] == ["Train a model", "Evaluate a model"]
    assert at.selectbox[0].options[0].startswith("original_cnn: The original project's CNN")
    assert {b.label for b in at.button} >= {"Start training", "Evaluate"}
    table = at.dataframe[0].value
    assert table["model"].tolist() == ["good_model", "fer2013_mini_xception"]  # best macro F1 first
    assert table["accuracy"].iloc[0] == pytest.approx(100 * 58 / 70, abs=0.05)  # every 5th called happy: 12 mistakes
    assert table["evaluated_on"].tolist() == ["PrivateTest", "not evaluated"]  # words, never "None"
    assert not table.isin(["None"]).any().any()
    details = next(s for s in at.selectbox if s.label == "Details for")
    assert details.value == "fer2013_mini_xception"  # default model first in the registry
    details.set_value("good_model").run()
    assert not at.exception
    assert "On PrivateTest (70 images)" in at.caption[-1].value
    per_class = at.dataframe[1].value
    assert per_class.index.tolist() == list(EMOTIONS) and per_class.loc["happy", "recall"] == 1.0
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert len(charts) == 3  # per-class F1 comparison, confusion matrix, training curves
    heatmap = charts[1]["data"][0]
    assert heatmap["type"] == "heatmap" and list(heatmap["x"]) == list(EMOTIONS)
    assert decode(heatmap["z"]) == pytest.approx(np.array(good_metrics()["confusion_matrix"]["normalized"]))
    at.toggle[0].set_value(False).run()  # counts instead of shares
    assert decode(json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]["z"]).sum() == 70


def decode(values: list | dict) -> np.ndarray:
    """Plotly sends arrays as base64 ``bdata``."""
    if isinstance(values, dict):
        raw = base64.b64decode(values["bdata"])
        return np.frombuffer(raw, dtype=values["dtype"]).reshape([int(v) for v in str(values["shape"]).split(",")])
    return np.array(values)


def test_model_without_metrics_says_how_to_get_them() -> None:
    at = run_page()
    assert any("has no saved evaluation yet" in info.value for info in at.info)


def test_running_job_is_reattached_with_progress_and_cancel() -> None:
    job = fake_job(
        "running", phase="training", epoch=2, epochs=10, batch=3, batches=9, progress=0.13, eta_s=125, history=HISTORY
    )
    at = run_page()
    assert at.subheader[0].value == "Running: train · mini_xception"
    # no second job can be started from the page, but the forms stay (and keep what the person chose)
    assert [b.disabled for b in at.button if b.label in ("Start training", "Evaluate")] == [True, True]
    text = at.get("progress")[0].proto.text
    assert text.startswith("Epoch 2/10 · batch 3/9 · about 2 min left")
    cancel = next(b for b in at.button if b.label == "Cancel")
    cancel.click().run()
    assert not at.exception
    assert job.cancel_requested
    assert any("Cancelling" in info.value for info in at.info)


def test_failed_job_shows_the_error() -> None:
    fake_job("failed", error="/data/fer.csv, row 7: 2000 pixel values, expected 2304")
    at = run_page()
    assert any("row 7: 2000 pixel values" in e.value for e in at.error)
    assert not next(b for b in at.button if b.label == "Start training").disabled  # a new job can be started


def test_start_training_needs_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMUSE_TRAIN_DATA_DIRS", str(tmp_path))
    at = run_page()
    at.button(key="FormSubmitter:train_form-Start training").click().run()
    assert any("Choose the data" in e.value for e in at.error)
    fake = tmp_path / "fer.zip"
    fake.write_text("not a zip")
    at.text_input(key="train_path").input(str(fake))
    at.button(key="FormSubmitter:train_form-Start training").click().run()
    assert any(f"{fake} is not a zip file" in e.value for e in at.error)


def test_start_training_starts_a_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMUSE_TRAIN_DATA_DIRS", str(tmp_path))
    started: list[dict] = []

    def fake_start(request: dict, upload: object = None) -> tuple[jobs.Job, bool]:
        started.append(request)
        return fake_job("done", model="good_model", metrics={"accuracy": 0.5, "macro_f1": 0.4}), True

    monkeypatch.setattr(jobs, "start_job", fake_start)
    data = tmp_path / "fer2013.csv"
    data.write_text("emotion,pixels,Usage\n")
    at = run_page()
    at.text_input(key="train_path").input(str(data))
    at.number_input[0].set_value(3)
    at.button(key="FormSubmitter:train_form-Start training").click().run()
    assert not at.exception
    assert started == [
        {"kind": "train", "arch": "emuse_resnet", "epochs": 3, "batch_size": 64, "name": None, "data": str(data)}
    ]
    assert any("model **good_model**" in s.value for s in at.success)
    assert at.number_input(key="train_epochs").value == 3  # the form keeps what was chosen after the job

    at.selectbox(key="train_teacher").select("good_model")
    at.button(key="FormSubmitter:train_form-Start training").click().run()
    assert started[-1]["teacher"] == "good_model"
    assert "mixup" not in started[-1]  # off unless chosen

    at.selectbox(key="train_mixup").select(0.2)
    at.button(key="FormSubmitter:train_form-Start training").click().run()
    assert started[-1]["mixup"] == 0.2 and started[-1]["teacher"] == "good_model"


def test_page_renders_without_tensorflow() -> None:
    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"at = AppTest.from_file({PAGE!r}, default_timeout=60).run();"
        "assert not at.exception, at.exception;"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.stdout.split() == ["False", "False"], proc.stderr[-2000:]


def test_a_trained_model_can_be_deleted_from_the_page_and_a_shipped_one_cannot(monkeypatch) -> None:
    user = registry.roots()[1]
    base = {"labels": list(EMOTIONS), "input_shape": [48, 48, 1], "architecture": "emuse_resnet"}
    registry.write_meta(user / "my_model", base)
    at = run_page()
    assert at.dataframe[0].value.set_index("model").loc["my_model", "origin"] == "trained here"
    assert at.selectbox(key="delete_model_name").options == ["my_model"]  # only trained models can go
    at.button(key="FormSubmitter:delete_model-Delete").click().run()
    assert any("Tick" in w.value for w in at.warning) and (user / "my_model").exists()
    at.checkbox(key="delete_model_sure").check()
    at.button(key="FormSubmitter:delete_model-Delete").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not (user / "my_model").exists()
    assert "my_model" not in at.dataframe[0].value["model"].tolist()


def test_server_paths_are_offered_only_inside_configured_folders(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EMUSE_DATA_DIR", "")  # a public deployment configures no data folders
    monkeypatch.delenv("EMUSE_TRAIN_DATA_DIRS", raising=False)
    at = run_page()
    assert not [t for t in at.text_input if t.key == "train_path"]  # no field to probe the server's files with
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    monkeypatch.setenv("EMUSE_TRAIN_DATA_DIRS", str(allowed))
    at = run_page()
    secret = tmp_path / "users.csv"
    secret.write_text("user,password_hash\nroot,x\n")
    for probe in (str(secret), "/", "../users.csv", "/no/such/file"):
        at.text_input(key="train_path").input(probe)
        at.button(key="FormSubmitter:train_form-Start training").click().run()
        assert not at.exception
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and "must be inside the data folders" in errors[0], (probe, errors)
        assert "password_hash" not in errors[0]


def test_a_stopped_training_with_a_checkpoint_offers_to_resume(monkeypatch) -> None:
    job = fake_job("failed", error="the job's process stopped unexpectedly (killed, out of memory...)")
    (job.path / "checkpoint").mkdir()
    (job.path / "checkpoint" / "epochs.csv").write_text("epoch,loss\n0,1.9\n1,1.7\n")
    resumed: list[jobs.Job] = []
    monkeypatch.setattr(jobs, "resume_job", lambda j: (resumed.append(j), (j, True))[1])
    at = run_page()
    button = next(b for b in at.button if b.label == "Resume from epoch 3")
    button.click().run()
    assert not at.exception and [j.id for j in resumed] == [job.id]


def test_a_data_folder_that_is_a_file_is_explained(tmp_path: Path, monkeypatch) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("")
    monkeypatch.setenv("EMUSE_DATA_DIR", str(not_a_folder))
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("EMUSE_DATA_DIR" in e.value and "is a file" in e.value for e in at.error)
