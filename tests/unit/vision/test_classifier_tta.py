"""Test-time augmentation, ensembles and FER2013 framing: properties of a registered model, scored in one place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from emuse import registry
from emuse.training.evaluate import classifier_scores
from emuse.vision.classifier import EmotionClassifier
from emuse.vision.framing import FER2013, Framing, crop, model_crop_box
from tests.support.paths import ROOT

SHIPPED = "fer2013_mini_xception"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped model three times: as it is, with mirror TTA, and an ensemble of the two."""
    root = tmp_path_factory.mktemp("models")
    source = ROOT / "models" / SHIPPED
    for name, inference in (("plain", {}), ("mirrored", {"tta": "mirror"})):
        shutil.copytree(source, root / name)
        meta = json.loads((root / name / "meta.json").read_text())
        meta["inference"] = inference
        (root / name / "meta.json").write_text(json.dumps(meta))
    meta = json.loads((source / "meta.json").read_text())
    members = [{"model": "plain", "weight": 3.0}, {"model": "mirrored", "weight": 1.0}]
    (root / "both").mkdir()
    (root / "both" / "meta.json").write_text(json.dumps({**meta, "ensemble": {"members": members}}))
    return root


@pytest.fixture(scope="module")
def faces(astronaut_bgr: np.ndarray) -> np.ndarray:
    """Real faces at the shipped model's 64x64 input: the astronaut's, shifted and scaled a little, eight in all."""
    gray = cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2GRAY)
    boxes = [(170 + dx, 40 + dy, 110 + ds, 110 + ds) for dx in (-8, 8) for dy in (-6, 6) for ds in (0, 16)]
    return np.stack([cv2.resize(gray[y : y + h, x : x + w], (64, 64)) for x, y, w, h in boxes])


def classifier(root: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> EmotionClassifier:
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(root))
    found = EmotionClassifier(name)
    found.wait_ready()
    return found


def test_mirror_tta_is_the_mean_of_the_face_and_its_mirror(root, faces, monkeypatch) -> None:
    plain, mirrored = classifier(root, "plain", monkeypatch), classifier(root, "mirrored", monkeypatch)
    expected = (plain.predict_batch(faces) + plain.predict_batch(faces[:, :, ::-1].copy())) / 2
    assert mirrored.tta == "mirror"
    assert np.allclose(mirrored.predict_batch(faces), expected, atol=1e-5)
    assert not np.allclose(plain.predict_batch(faces), expected, atol=1e-3)  # the mirror really changes the scores


def test_an_ensemble_is_the_weighted_mean_of_its_members(root, faces, monkeypatch) -> None:
    plain, mirrored = classifier(root, "plain", monkeypatch), classifier(root, "mirrored", monkeypatch)
    both = classifier(root, "both", monkeypatch)
    expected = (3 * plain.predict_batch(faces) + mirrored.predict_batch(faces)) / 4
    assert [name for name, _ in both.info.members] == ["plain", "mirrored"]
    assert np.allclose(both.predict_batch(faces), expected, atol=1e-5)
    assert np.allclose(classifier_scores(both, faces), expected, atol=1e-5)  # evaluate scores the same way
    assert np.allclose(both.predict_batch(faces).sum(axis=1), 1, atol=1e-4)


def test_an_ensemble_with_a_missing_member_says_which(root: Path, tmp_path: Path, monkeypatch) -> None:
    shutil.copytree(root / "both", tmp_path / "broken")
    meta = json.loads((tmp_path / "broken" / "meta.json").read_text())
    meta["ensemble"]["members"][0]["model"] = "gone"
    (tmp_path / "broken" / "meta.json").write_text(json.dumps(meta))
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(tmp_path))
    with pytest.raises(registry.ModelError, match="no model 'gone'"):
        EmotionClassifier("broken")


def test_an_unknown_tta_is_refused_with_the_choices(root: Path, tmp_path: Path, monkeypatch) -> None:
    shutil.copytree(root / "plain", tmp_path / "odd")
    meta = json.loads((tmp_path / "odd" / "meta.json").read_text())
    meta["inference"] = {"tta": "ten-crop"}
    (tmp_path / "odd" / "meta.json").write_text(json.dumps(meta))
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(tmp_path))
    with pytest.raises(registry.ModelError, match="none, mirror"):
        EmotionClassifier("odd")


def test_framing_grows_a_known_box_about_its_centre() -> None:
    assert model_crop_box((100, 50, 100, 100), Framing(1.0, 0.0)) == (100, 50, 100, 100)
    assert model_crop_box((100, 50, 100, 100), Framing(1.2, 0.0)) == (90, 40, 120, 120)
    assert model_crop_box((100, 50, 100, 100), Framing(1.0, 0.1)) == (100, 60, 100, 100)
    assert model_crop_box((0, 0, 100, 100), FER2013) == (-1, -1, 102, 102)  # may reach outside the frame


def test_a_crop_outside_the_frame_repeats_the_edge() -> None:
    gray = np.arange(100, dtype=np.uint8).reshape(10, 10)
    inside = crop(gray, (2, 3, 4, 4))
    assert inside.shape == (4, 4) and inside[0, 0] == 32
    edge = crop(gray, (-2, -2, 5, 5))
    assert edge.shape == (5, 5) and (edge[:3, :3] == 0).all() and edge[4, 4] == 22
    assert crop(gray, (20, 20, 4, 4)).shape == (4, 4)  # wholly outside: a blank face, not an error


def test_the_classifier_crops_with_the_models_framing(root, astronaut_bgr, monkeypatch) -> None:
    plain = classifier(root, "plain", monkeypatch)
    gray = cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2GRAY)
    box = (170, 40, 110, 110)
    expected = cv2.resize(crop(gray, model_crop_box(box, plain.framing)), plain.size, interpolation=cv2.INTER_AREA)
    assert np.array_equal(plain.crop_faces(gray, [box])[0], expected)
