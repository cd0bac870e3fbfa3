"""From the network's residuals to one anomaly score per timestamp.

Per target row j and variable v the deviation is
    e[j, v] = deviation_weight * min(|z[j, v]|, deviation_clip)  (distance from the training mean, in training stds)
            + forecast_weight  * |forecast - z[j, v]| / forecast_scale[v]
            + recon_weight     * |reconstruction - z[j-1, v]| / recon_scale[v]
where the residual scales are their mean on the validation windows, so every term reads "times the usual".
A point's score is the mean of its top-k deviations (k = top_k_fraction of the variables), and the score of
timestamp t is the mean of the point scores of t and the `smoothing - 1` rows before it. Everything about t is thus
computed from the `sliding_window` rows before t and t itself, which makes batch and last detection agree.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from mvad_engine.config import ModelConfig
from mvad_engine.model import MtadGat
from mvad_engine.train import gather_windows

DEVIATION_CLIP = 1e3  # keeps one frozen-then-moving variable from overflowing the sum
INFERENCE_BATCH = 256  # fixed, so a row's numbers never depend on how many rows are scored with it


@torch.no_grad()
def residuals(net: MtadGat, x: torch.Tensor, targets: torch.Tensor, context: int, progress: bool = False):
    """Absolute forecast and reconstruction residuals (n, V) for the target rows, in normalised units."""
    net.eval()
    device = next(net.parameters()).device
    fore, rec = [], []
    batches = range(0, len(targets), INFERENCE_BATCH)
    for i in tqdm(batches, desc="scoring", unit="batch", disable=not progress, leave=False):
        t = targets[i:i + INFERENCE_BATCH]
        n = len(t)
        # always full batches: the same kernels then run for a row however many rows are scored with it
        t = torch.cat([t, t[-1:].expand(INFERENCE_BATCH - n)])
        windows = gather_windows(x, t, context).to(device)
        forecast, recon = net(windows)
        fore.append((forecast - x[t].to(device)).abs()[:n].cpu())
        rec.append((recon[:, -1] - windows[:, -1]).abs()[:n].cpu())
    return torch.cat(fore).numpy(), torch.cat(rec).numpy()


@dataclass
class ScoreCalibration:
    """Fitted scoring state: residual scales (V,) and the anomaly threshold on the raw score."""

    forecast_scale: np.ndarray
    recon_scale: np.ndarray
    threshold: float = float("inf")

    @classmethod
    def from_residuals(cls, forecast_res: np.ndarray, recon_res: np.ndarray) -> "ScoreCalibration":
        floor = 1e-3
        return cls(np.maximum(forecast_res.mean(0), floor).astype(np.float32),
                   np.maximum(recon_res.mean(0), floor).astype(np.float32))


def deviations(z: np.ndarray, forecast_res: np.ndarray, recon_res: np.ndarray, calib: ScoreCalibration,
               cfg: ModelConfig) -> np.ndarray:
    """Per-variable deviation e (n, V) of target rows whose normalised values are z (n, V)."""
    e = (cfg.deviation_weight * np.minimum(np.abs(z), cfg.deviation_clip)
         + cfg.forecast_weight * forecast_res / calib.forecast_scale
         + cfg.recon_weight_score * recon_res / calib.recon_scale)
    return np.minimum(np.nan_to_num(e, nan=DEVIATION_CLIP), DEVIATION_CLIP).astype(np.float32)


def point_scores(e: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """Mean of the top-k deviations of each row."""
    k = min(cfg.top_k, e.shape[1])
    top = np.partition(e, e.shape[1] - k, axis=1)[:, -k:]
    return top.mean(axis=1)


def trailing_mean(a: np.ndarray, n: int) -> np.ndarray:
    """out[i] = mean(a[i - n + 1 : i + 1]) for i >= n - 1 (along axis 0); len(out) = len(a) - n + 1."""
    c = np.cumsum(np.concatenate([np.zeros((1,) + a.shape[1:], np.float64), a.astype(np.float64)]), axis=0)
    return ((c[n:] - c[:-n]) / n).astype(np.float32)


def score_rows(net: MtadGat, x: torch.Tensor, lo: int, hi: int, calib: ScoreCalibration, cfg: ModelConfig,
               with_contributions: bool = False, progress: bool = False):
    """Raw scores of rows lo..hi (inclusive; lo >= sliding_window) of the normalised data x (T, V).

    Returns (scores (n,), per-variable deviations (n, V) smoothed like the score, or None).
    """
    targets = torch.arange(lo - cfg.smoothing + 1, hi + 1)
    fore, rec = residuals(net, x, targets, cfg.context, progress)
    return scores_from_residuals(x[targets].numpy(), fore, rec, calib, cfg, with_contributions)


def scores_from_residuals(z, fore, rec, calib: ScoreCalibration, cfg: ModelConfig, with_contributions: bool = False):
    """Same as `score_rows` from residuals already computed for rows lo - smoothing + 1 .. hi."""
    e = deviations(z, fore, rec, calib, cfg)
    scores = trailing_mean(point_scores(e, cfg), cfg.smoothing)
    return scores, (trailing_mean(e, cfg.smoothing) if with_contributions else None)


def to_service_scale(raw: np.ndarray, threshold: float):
    """Raw score -> (score in [0, 2], isAnomaly, severity). score = 1 exactly at the threshold."""
    raw = np.maximum(np.asarray(raw, dtype=np.float64), 0.0)
    score = 2.0 * raw / (raw + threshold)
    anomalous = raw > threshold
    severity = np.where(anomalous, 1.0 - threshold / np.maximum(raw, 1e-12), 0.0)
    return score, anomalous, severity
