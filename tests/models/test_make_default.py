"""models/make_default.py's candidate grid: every weighting, TTA and bias, scored as the classifier would."""

from __future__ import annotations

import importlib.util
import sys
from itertools import product
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from emuse.training.metrics import classification_metrics
from emuse.vision.calibration import log_scores

SCRIPT = Path(__file__).resolve().parents[2] / "models" / "make_default.py"


@pytest.fixture(scope="module")
def make_default() -> ModuleType:
    """The script, loaded as a module (it is not a package)."""
    spec = importlib.util.spec_from_file_location("make_default", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_default"] = module
    spec.loader.exec_module(module)
    return module


def fake_networks(names: list[str], y: np.ndarray) -> dict:
    """Scores for every (network, tta) that are right more often than not, and a time per face."""
    rng = np.random.default_rng(0)
    scored = {}
    for name in names:
        for tta in ("none", "mirror"):
            scores = rng.dirichlet(np.ones(7), len(y)) + 0.6 * np.eye(7)[y] * rng.random((len(y), 1))
            scored[(name, tta)] = (scores / scores.sum(axis=1, keepdims=True), float(rng.random()))
    return scored


def test_the_grid_scores_every_candidate_as_the_classifier_would(make_default: ModuleType) -> None:
    y = np.random.default_rng(1).integers(0, 7, 400)
    names = ["ours", "ours_b", make_default.FER_MODEL]
    scored = fake_networks(names, y)
    grid = make_default.Grid(names, scored, y)

    expected = []  # one candidate at a time: the weighted mean of the members' scores, biased, argmax
    for weights in make_default.weight_grid(len(names)):
        used = [i for i, w in enumerate(weights) if w > 0]
        for ttas in product(*[("none", "mirror") if i in used else ("none",) for i in range(len(names))]):
            mixed = sum(weights[i] * scored[(names[i], ttas[i])][0] for i in used)
            for bias in make_default.BIASES:
                picked = (log_scores(mixed) + make_default.bias_vector(bias)).argmax(axis=1)
                expected.append((weights, ttas, bias, classification_metrics(y, picked)))
    assert grid.accuracy.size == len(expected)

    order = grid.best_first()
    assert np.all(np.diff(grid.accuracy.flat[order]) <= 0)
    for flat in np.random.default_rng(2).choice(len(expected), 200, replace=False):
        weights, ttas, bias, metrics = expected[flat]
        row = grid.row(flat)
        assert row["members"] == {name: [weights[i], ttas[i]] for i, name in enumerate(names)}
        assert row["log_bias"] == bias
        assert row["accuracy"] == pytest.approx(metrics["accuracy"])
        assert row["macro_f1"] == pytest.approx(metrics["macro_f1"])
        assert row["recall"] == pytest.approx({k: v["recall"] for k, v in metrics["per_class"].items()})
        used = [i for i, w in enumerate(weights) if w > 0]
        assert row["ms_per_face"] == pytest.approx(sum(scored[(names[i], ttas[i])][1] for i in used), abs=1e-3)


def test_fer_alone_is_the_fer_model_unbiased_at_its_better_tta(make_default: ModuleType) -> None:
    y = np.random.default_rng(3).integers(0, 7, 300)
    names = ["ours", make_default.FER_MODEL]
    scored = fake_networks(names, y)
    grid = make_default.Grid(names, scored, y)
    row = grid.row(grid.fer_alone())
    best = max(("none", "mirror"), key=lambda t: (scored[(names[1], t)][0].argmax(axis=1) == y).mean())
    assert row["members"] == {"ours": [0.0, "none"], make_default.FER_MODEL: [1.0, best]}
    assert row["log_bias"] == {}
