"""The network: shapes, attention, gradients."""
import torch

from mvad_engine.config import ModelConfig
from mvad_engine.model import GraphAttention, MtadGat


def test_forward_shapes_for_short_and_long_windows():
    for window in (28, 300):
        cfg = ModelConfig(n_variables=5, sliding_window=window)
        net = MtadGat(cfg)
        forecast, recon = net(torch.randn(7, cfg.context, 5))
        assert forecast.shape == (7, 5)
        assert recon.shape == (7, cfg.fine, 5)
        assert net.view(torch.randn(7, cfg.context, 5)).shape == (7, cfg.coarse_steps + cfg.fine, 5)


def test_view_keeps_the_latest_points_and_pools_the_context():
    cfg = ModelConfig(n_variables=1, sliding_window=100, coarse_steps=4, fine_steps=8)
    net = MtadGat(cfg)
    x = torch.arange(cfg.context, dtype=torch.float32).view(1, -1, 1)
    v = net.view(x)[0, :, 0]
    assert torch.equal(v[-8:], x[0, -8:, 0])
    assert torch.all(v[:4].diff() > 0) and abs(v[:4].mean() - x.mean()) < 1e-4


def test_attention_is_a_distribution_over_nodes():
    gat = GraphAttention(n_nodes=6, n_features=4)
    out, a = gat(torch.randn(3, 6, 4), return_attention=True)
    assert out.shape == (3, 6, 4) and a.shape == (3, 6, 6)
    torch.testing.assert_close(a.sum(-1), torch.ones(3, 6))


def test_every_parameter_gets_a_gradient():
    cfg = ModelConfig(n_variables=4, sliding_window=40)
    net = MtadGat(cfg)
    forecast, recon = net(torch.randn(5, cfg.context, 4))
    (forecast.sum() + recon.sum()).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())
