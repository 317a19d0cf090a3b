"""Broken model folders give a clear ModelError naming the file and the fix, never a crash."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emuse import registry
from emuse.vision.classifier import EmotionClassifier
from tests.support.paths import ROOT

SHIPPED = ROOT / "models" / "fer2013_mini_xception"


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    shutil.copytree(SHIPPED, root / "copy", ignore=shutil.ignore_patterns("*.tflite"))
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(root))
    return root


def test_missing_model_file(models_dir: Path) -> None:
    (models_dir / "copy" / "model.keras").unlink()
    with pytest.raises(registry.ModelError, match=r"model\.keras is missing"):
        EmotionClassifier("copy", backend="keras")


def test_corrupt_model_file(models_dir: Path) -> None:
    (models_dir / "copy" / "model.keras").write_bytes(b"PK\x03\x04 this is not a keras archive")
    with pytest.raises(registry.ModelError, match="could not be loaded"):
        EmotionClassifier("copy", backend="keras")


def test_meta_input_shape_that_disagrees_with_the_network(models_dir: Path) -> None:
    meta_file = models_dir / "copy" / "meta.json"
    meta = json.loads(meta_file.read_text())
    meta["input_shape"] = [48, 48, 1]
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(registry.ModelError, match=r"takes input .*64, 64, 1.*48, 48, 1"):
        EmotionClassifier("copy", backend="keras")


def test_wrong_number_of_outputs(models_dir: Path) -> None:
    from emuse.quiet import import_keras

    keras = import_keras()
    inputs = keras.Input((64, 64, 1))
    outputs = keras.layers.Dense(5, activation="softmax")(keras.layers.Flatten()(inputs))
    keras.Model(inputs, outputs).save(models_dir / "copy" / "model.keras")
    with pytest.raises(registry.ModelError, match="5 outputs; an emotion model needs 7"):
        EmotionClassifier("copy", backend="keras")


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"labels": ["a", "b"], "input_shape": [64, 64, 1]}), "unknown emotion"),
        (json.dumps({"labels": ["angry"] * 7, "input_shape": [64, 64, 1]}), "must be the seven emotions"),
        (json.dumps({"input_shape": [64, 64, 1]}), "needs 'labels'"),
        (json.dumps({"labels": list(registry.EMOTIONS), "input_shape": [64, 64]}), "input_shape"),
    ],
    ids=["not-json", "unknown-label", "duplicate-labels", "no-labels", "bad-shape"],
)
def test_bad_meta_json(models_dir: Path, meta: str, message: str) -> None:
    (models_dir / "copy" / "meta.json").write_text(meta)
    with pytest.raises(registry.ModelError, match=message):
        registry.resolve("copy")


def test_unknown_model_name_lists_the_registered_ones(models_dir: Path) -> None:
    with pytest.raises(registry.ModelError, match=r"no model 'nope' .*registered: copy"):
        registry.resolve("nope")


def test_broken_folder_does_not_hide_the_good_ones(models_dir: Path) -> None:
    broken = models_dir / "broken"
    broken.mkdir()
    (broken / "meta.json").write_text("{")
    assert [info.name for info in registry.list_models()] == ["copy"]


def test_cli_reports_a_broken_model_in_one_line(models_dir: Path, tmp_path: Path) -> None:
    (models_dir / "copy" / "model.keras").write_bytes(b"garbage")
    image = ROOT / "models" / "fer2013_mini_xception" / "LICENSE"  # never reached
    result = subprocess.run(
        [sys.executable, "-m", "emuse", "analyze", str(image), "--model", "copy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "could not be loaded" in result.stderr
