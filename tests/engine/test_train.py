"""Training building blocks: normalisation, windows by index arithmetic, time-ordered validation split."""
import numpy as np
import torch

from mvad_engine.config import ModelConfig
from mvad_engine.train import INPUT_CLIP, fit_normalization, gather_windows, normalize, split_targets


def test_normalization_matches_numpy_and_handles_constant_variables():
    rng = np.random.default_rng(0)
    values = np.column_stack([1000 + rng.standard_normal(5000), np.full(5000, 3.0), rng.uniform(0, 1, 5000)])
    values = values.astype(np.float32)
    norm = fit_normalization(values, chunk=700)
    np.testing.assert_allclose(norm["mean"], values.astype(np.float64).mean(0), rtol=1e-6)
    np.testing.assert_allclose(norm["scale"][[0, 2]], values.astype(np.float64).std(0)[[0, 2]], rtol=1e-4)
    assert norm["scale"][1] > 0  # constant in training: finite, small
    z = normalize(values, norm).numpy()
    assert abs(z[:, 0].mean()) < 1e-3 and abs(z[:, 0].std() - 1) < 1e-3
    assert np.all(z[:, 1] == 0)


def test_windows_are_the_rows_before_each_target():
    x = torch.arange(60, dtype=torch.float32).view(20, 3) / 10
    w = gather_windows(x, torch.tensor([5, 19]), context=4)
    assert w.shape == (2, 4, 3)
    assert torch.equal(w[0], x[1:5]) and torch.equal(w[1], x[15:19])
    big = torch.full((10, 2), 100.0)
    assert gather_windows(big, torch.tensor([9]), 3).max() == INPUT_CLIP  # clipped for the network


def test_validation_targets_are_the_latest_and_disjoint():
    cfg = ModelConfig(n_variables=2, sliding_window=28, validation_fraction=0.25)
    train, val = split_targets(128, cfg)
    assert train[0] == cfg.context and val[-1] == 127
    assert train[-1] < val[0]
    assert len(val) == round(0.25 * (128 - cfg.context))
    small_train, small_val = split_targets(cfg.context + 5, cfg)
    assert len(small_val) >= 1 and len(small_train) >= 1
