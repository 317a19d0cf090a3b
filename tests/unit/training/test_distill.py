"""Distillation: the targets are the teacher's scores mixed with the labels, and a run trains on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emuse import registry
from emuse.training import synthetic
from emuse.training.data import load
from emuse.training.dataset import make_dataset
from emuse.training.distill import check_weight, describe, one_hot, soft_targets
from emuse.training.evaluate import classifier_scores
from emuse.training.train import TrainConfig, train
from emuse.vision.classifier import EmotionClassifier


@pytest.fixture(scope="module")
def fer_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic.make_csv(tmp_path_factory.mktemp("csv") / "fer2013.csv", {"train": 10, "val": 3, "test": 3})


def test_one_hot_rows() -> None:
    rows = one_hot(np.array([0, 6, 3]))
    assert rows.dtype == np.float32
    assert rows.tolist() == np.eye(7)[[0, 6, 3]].tolist()


@pytest.mark.parametrize("weight", [0, -0.1, 0.51, 1])
def test_a_weight_that_could_outvote_the_label_is_refused(weight: float) -> None:
    with pytest.raises(ValueError, match=r"at most 0\.5"):
        check_weight(weight)
    with pytest.raises(ValueError, match=r"at most 0\.5"):
        TrainConfig(data="x.csv", arch="emuse_resnet", teacher="fer2013_mini_xception", teacher_weight=weight).check()


def test_targets_are_the_teachers_scores_mixed_with_the_labels(fer_csv: Path) -> None:
    part = load(fer_csv).split("train")
    targets = soft_targets("fer2013_mini_xception", part.x, part.y, 0.3)

    classifier = EmotionClassifier(registry.resolve("fer2013_mini_xception").path)
    classifier.wait_ready()
    scores = classifier_scores(classifier, part.x)
    scores /= scores.sum(axis=1, keepdims=True)  # a quantized network's scores may not sum to 1
    assert targets.shape == (len(part.y), 7)
    np.testing.assert_allclose(targets, 0.3 * scores + 0.7 * one_hot(part.y), atol=1e-5)
    np.testing.assert_allclose(targets.sum(axis=1), 1, atol=1e-5)
    assert (targets.argmax(axis=1) == part.y).all()  # the label stays the largest part
    assert len(np.unique(targets.round(4), axis=0)) > 7  # not just smoothed one-hot rows: the teacher's opinion


def test_soft_targets_go_through_the_pipeline_as_float_rows() -> None:
    x = np.zeros((5, 48, 48), np.uint8)
    y = one_hot(np.arange(5)) * 0.8 + 0.2 / 7
    batch_x, batch_y = next(iter(make_dataset(x, y, 5, training=False)))
    np.testing.assert_allclose(batch_y.numpy(), y, atol=1e-6)
    assert batch_x.shape == (5, 48, 48, 1)


def test_a_distilled_run_records_its_teacher(fer_csv: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(
        data=str(fer_csv),
        arch="emuse_resnet",
        epochs=1,
        batch_size=16,
        name="student",
        teacher="fer2013_mini_xception",
        teacher_weight=0.4,
    )
    result = train(cfg, models_root=tmp_path)
    meta = result.info.meta
    assert meta["distillation"]["teacher"] == "fer2013_mini_xception"
    assert meta["distillation"]["teacher_members"] is None  # one network: its name says it all
    assert meta["distillation"]["weight"] == 0.4
    assert meta["config"]["teacher"] == "fer2013_mini_xception"
    assert 0 <= result.metrics["accuracy"] <= 1
    # Accuracy against soft targets still means agreement with the label: a number in [0, 1] each epoch.
    assert all(0 <= a <= 1 for a in result.history["accuracy"])
    assert len(result.history["loss"]) == 1 and np.isfinite(result.history["loss"][0])


def test_an_unknown_teacher_is_refused_naming_it(fer_csv: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(data=str(fer_csv), arch="emuse_resnet", epochs=1, name="student", teacher="no_such_model")
    with pytest.raises(registry.ModelError, match="no_such_model"):
        train(cfg, models_root=tmp_path)


def test_an_ensemble_teachers_members_are_recorded_as_they_were() -> None:
    """The default is re-chosen when a network joins; the student's meta keeps the teacher it really had."""
    teacher = registry.resolve("emuse_resnet_ensemble")
    record = describe(teacher, 0.5)
    assert record["teacher_members"] == [{"model": name, "weight": w} for name, w in teacher.members]
    assert len(record["teacher_members"]) >= 2 and record["teacher_accuracy"] == teacher.meta["metrics"]["accuracy"]
    assert describe(None, 0.5) is None
