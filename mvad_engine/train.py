"""Training: normalisation, windows as index arithmetic on one tensor, and the epoch loop.

The training data lives once in memory as a (T, V) float32 tensor. A window is never stored: a batch gathers
`X[target - context : target]` for its targets with one indexing operation, so memory stays O(T * V + batch).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mvad_engine.config import ModelConfig
from mvad_engine.model import MtadGat

INPUT_CLIP = 20.0  # normalised inputs beyond this many standard deviations carry no extra information


def fit_normalization(values: np.ndarray, chunk: int = 65_536) -> dict:
    """Per-variable mean and spread of the training data (part of the fitted state), in float64 chunk by chunk."""
    shift = values[0].astype(np.float64)  # sums of squares about a data point keep their precision
    total = np.zeros(values.shape[1]), np.zeros(values.shape[1])
    for i in range(0, len(values), chunk):
        part = values[i:i + chunk].astype(np.float64) - shift
        total = total[0] + part.sum(0), total[1] + (part * part).sum(0)
    centred = total[0] / len(values)
    mean = shift + centred
    std = np.sqrt(np.maximum(total[1] / len(values) - centred * centred, 0.0))
    # a variable that is constant in training still needs a finite scale; any change from it is then large
    scale = np.maximum(std, 1e-4 * np.maximum(1.0, np.abs(mean)))
    return {"mean": mean.astype(np.float32), "scale": scale.astype(np.float32)}


def normalize(values: np.ndarray, norm: dict) -> torch.Tensor:
    """(T, V) raw values -> (T, V) float32 tensor in training standard deviations (unclipped), one new array."""
    z = np.subtract(values, norm["mean"], dtype=np.float32)
    z /= norm["scale"]
    return torch.from_numpy(z)


def gather_windows(x: torch.Tensor, targets: torch.Tensor, context: int) -> torch.Tensor:
    """(T, V), (B,) target rows -> (B, context, V): the `context` rows before each target, clipped for the net."""
    idx = targets[:, None] + torch.arange(-context, 0, device=targets.device)
    return x[idx].clamp_(-INPUT_CLIP, INPUT_CLIP)


def split_targets(n_rows: int, cfg: ModelConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Forecast targets (rows with a full context before them), split in time: the latest ones validate."""
    targets = torch.arange(cfg.context, n_rows)
    n_val = max(1, int(round(cfg.validation_fraction * len(targets))))
    return targets[:-n_val], targets[-n_val:]


def joint_loss(net: MtadGat, windows: torch.Tensor, targets_x: torch.Tensor, cfg: ModelConfig) -> torch.Tensor:
    forecast, recon = net(windows)
    return F.mse_loss(forecast, targets_x) + cfg.recon_weight * F.mse_loss(recon, windows[:, -net.fine:])


@dataclass
class EpochResult:
    epoch: int
    train_loss: float
    validation_loss: float
    latency_seconds: float


class Trainer:
    """Runs epochs of Adam on MtadGat; its state (net + optimiser) is all a checkpoint needs."""

    max_validation_windows = 512  # the loss is a diagnostic; calibration scores every validation row

    def __init__(self, net: MtadGat, cfg: ModelConfig, x: torch.Tensor, device: torch.device):
        self.net, self.cfg, self.device = net, cfg, device
        self.x = x.to(device)
        self.train_targets, self.val_targets = split_targets(len(x), cfg)
        if len(self.val_targets) > self.max_validation_windows:  # evenly spaced, fixed across epochs
            keep = torch.linspace(0, len(self.val_targets) - 1, self.max_validation_windows).long()
            self.val_targets = self.val_targets[keep]
        self.optimizer = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)

    def _batches(self, targets: torch.Tensor):
        for i in range(0, len(targets), self.cfg.batch_size):
            t = targets[i:i + self.cfg.batch_size].to(self.device)
            yield gather_windows(self.x, t, self.cfg.context), self.x[t].clamp(-INPUT_CLIP, INPUT_CLIP)

    def run_epoch(self, epoch: int) -> EpochResult:
        """One epoch (1-based number): `windows_per_epoch` windows drawn by (seed, epoch), then validation."""
        started = time.perf_counter()
        gen = torch.Generator().manual_seed(self.cfg.seed * 1_000_003 + epoch)
        order = torch.randperm(len(self.train_targets), generator=gen)[: self.cfg.windows_per_epoch]
        self.net.train()
        total, count = 0.0, 0
        for windows, target_x in self._batches(self.train_targets[order]):
            loss = joint_loss(self.net, windows, target_x, self.cfg)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
            self.optimizer.step()
            total, count = total + loss.item() * len(windows), count + len(windows)
        val = self.validation_loss()
        return EpochResult(epoch, total / max(count, 1), val, time.perf_counter() - started)

    @torch.no_grad()
    def validation_loss(self) -> float:
        self.net.eval()
        total, count = 0.0, 0
        for windows, target_x in self._batches(self.val_targets):
            total += joint_loss(self.net, windows, target_x, self.cfg).item() * len(windows)
            count += len(windows)
        return total / max(count, 1)

    def state_dict(self) -> dict:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
