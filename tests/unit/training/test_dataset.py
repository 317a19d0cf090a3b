"""The input pipeline's mixup: blended faces with blended targets, each still mostly itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emuse.training import synthetic
from emuse.training.dataset import make_dataset
from emuse.training.distill import one_hot
from emuse.training.train import TrainConfig, train


def _faces(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each face one flat grey level (its index x 3), so a blend's pixels say which faces it mixed and how."""
    x = (np.arange(count, dtype=np.uint8) * 3)[:, None, None] * np.ones((1, 48, 48), np.uint8)
    return x, np.arange(count) % 7


def test_mixup_blends_pixels_and_targets_with_the_same_share() -> None:
    x, y = _faces(64)
    batch_x, batch_y = next(iter(make_dataset(x, one_hot(y), 64, training=True, augment=False, mixup_alpha=1.0)))
    pixels, targets = batch_x.numpy(), batch_y.numpy()
    np.testing.assert_allclose(targets.sum(axis=1), 1, atol=1e-5)
    assert np.ptp(pixels, axis=(1, 2, 3)).max() < 1e-3  # a blend of two flat faces is flat
    share = targets.max(axis=1)
    assert (share >= 0.5 - 1e-6).all()  # folded: each face's own label keeps the largest share
    assert (share < 0.999).sum() > 32  # Beta(1, 1): most faces really are blends
    # The pixel blend matches the target blend: own grey x lam + partner's x (1 - lam) for some partner.
    own = targets.argmax(axis=1)
    for i in np.flatnonzero(share < 0.9)[:10]:
        grey = pixels[i, 0, 0, 0]
        partners = [(grey - share[i] * g) / (1 - share[i]) for g in x[y == own[i], 0, 0]]
        assert any(np.isclose(p, x[:, 0, 0], atol=0.5).any() for p in partners)


def test_without_mixup_targets_pass_unchanged() -> None:
    x, y = _faces(16)
    _, batch_y = next(iter(make_dataset(x, one_hot(y), 16, training=True, augment=False)))
    assert sorted(batch_y.numpy().argmax(axis=1).tolist()) == sorted(y.tolist())
    assert set(batch_y.numpy().max(axis=1).round(6).tolist()) == {1.0}


def test_mixup_needs_target_rows_and_a_sane_alpha() -> None:
    x, y = _faces(8)
    with pytest.raises(ValueError, match="target rows"):
        make_dataset(x, y, 8, training=True, mixup_alpha=0.2)
    for alpha in (-0.1, 1.5):
        with pytest.raises(ValueError, match="mixup alpha"):
            TrainConfig(data="x.csv", arch="emuse_resnet", mixup=alpha).check()


def test_a_mixup_run_trains_on_one_hot_targets_and_records_it(tmp_path: Path) -> None:
    data = synthetic.make_csv(tmp_path / "fer2013.csv", {"train": 10, "val": 3, "test": 3})
    cfg = TrainConfig(data=str(data), arch="emuse_resnet", epochs=1, batch_size=16, name="blended", mixup=0.2)
    result = train(cfg, models_root=tmp_path / "models")
    meta = result.info.meta
    assert "mixup (alpha 0.2)" in meta["preprocessing"]["augmentation"]
    assert meta["config"]["mixup"] == 0.2
    assert 0 <= result.metrics["accuracy"] <= 1
    assert all(0 <= a <= 1 for a in result.history["accuracy"])
