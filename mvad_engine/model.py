"""The network: MTAD-GAT (Zhao et al., 2020) on a two-resolution view of the window.

x (B, context, V) ─► view: coarse (pooled whole context) ++ fine (last points) ─► (B, L, V)
   ─► 1-D conv over time ─► h
   ─► [h, feature-oriented GAT(h), time-oriented GAT(h)] ─► GRU ─► last hidden state
   ─► forecast head: the next point (B, V)       reconstruction head: the fine part of the view (B, F, V)
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from mvad_engine.config import ModelConfig


class GraphAttention(nn.Module):
    """Graph attention over a complete graph of `n_nodes` nodes (Velickovic et al.), one head.

    The score a^T [W h_i || W h_j] splits into a source and a destination term, so it costs two projections and
    never builds the (B, N, N, 2E) pair tensor. A learned bias per node pair encodes the usual relation.
    """

    def __init__(self, n_nodes: int, n_features: int):
        super().__init__()
        self.src = nn.Linear(n_features, 1)
        self.dst = nn.Linear(n_features, 1, bias=False)
        self.bias = nn.Parameter(torch.zeros(n_nodes, n_nodes))

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        # x: (B, N, features)
        e = F.leaky_relu(self.src(x) + self.dst(x).transpose(1, 2) + self.bias, 0.2)  # (B, N, N)
        a = torch.softmax(e, dim=-1)
        out = torch.sigmoid(a @ x)
        return (out, a) if return_attention else out


class MtadGat(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        v, steps = cfg.n_variables, cfg.coarse_steps + cfg.fine
        self.coarse_steps, self.fine = cfg.coarse_steps, cfg.fine
        self.conv = nn.Conv1d(v, v, cfg.kernel_size, padding=cfg.kernel_size // 2)
        self.feature_gat = GraphAttention(v, steps)      # nodes: variables, features: their series
        self.temporal_gat = GraphAttention(steps, v)     # nodes: time steps, features: all variables
        self.gru = nn.GRU(3 * v, cfg.hidden_size, batch_first=True)
        self.forecast_head = nn.Sequential(nn.Linear(cfg.hidden_size, cfg.hidden_size), nn.ReLU(),
                                           nn.Linear(cfg.hidden_size, v))
        self.recon_head = nn.Linear(cfg.hidden_size, self.fine * v)

    def view(self, x: torch.Tensor) -> torch.Tensor:
        """(B, context, V) -> (B, coarse_steps + fine, V): the pooled context, then the most recent points."""
        coarse = F.adaptive_avg_pool1d(x.transpose(1, 2), self.coarse_steps).transpose(1, 2)
        return torch.cat([coarse, x[:, -self.fine:]], dim=1)

    def forward(self, x: torch.Tensor):
        """x: (B, context, V) normalised. Returns (forecast (B, V), reconstruction (B, fine, V))."""
        s = self.view(x)
        h = F.relu(self.conv(s.transpose(1, 2))).transpose(1, 2)          # (B, L, V)
        hf = self.feature_gat(h.transpose(1, 2)).transpose(1, 2)          # (B, L, V)
        ht = self.temporal_gat(h)                                         # (B, L, V)
        _, last = self.gru(torch.cat([h, hf, ht], dim=-1))
        z = last[-1]                                                      # (B, hidden)
        recon = self.recon_head(z).view(x.shape[0], self.fine, x.shape[2])
        return self.forecast_head(z), recon
