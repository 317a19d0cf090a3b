"""Many candidates' metrics at once agree with the one-at-a-time figures ``meta.json`` stores."""

from __future__ import annotations

import numpy as np
import pytest

from emuse.training.metrics import classification_metrics, many_metrics


def test_many_metrics_equal_classification_metrics_row_by_row() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 7, 500)
    # Candidates from hopeless to perfect, one never predicting disgust, one predicting only it.
    predictions = np.stack(
        [np.where(rng.random(500) < p, y, rng.integers(0, 7, 500)) for p in (0.0, 0.3, 0.6, 0.9, 1.0)]
        + [np.where(y == 1, 0, y), np.ones(500, dtype=int)]
    )
    many = many_metrics(y, predictions)
    for row, prediction in enumerate(predictions):
        one = classification_metrics(y, prediction)
        assert many["accuracy"][row] == pytest.approx(one["accuracy"])
        assert many["macro_f1"][row] == pytest.approx(one["macro_f1"])
        assert many["recall"][row] == pytest.approx([v["recall"] for v in one["per_class"].values()])
    assert many["accuracy"][4] == 1.0 and many["recall"][5][1] == 0.0


def test_a_class_without_images_has_recall_zero() -> None:
    y = np.array([0, 0, 2, 2])
    many = many_metrics(y, np.array([[0, 2, 2, 2]]))
    assert many["recall"][0].tolist() == [0.5, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert many["accuracy"][0] == 0.75
