"""Interpretation of an anomalous timestamp: which variables contribute, and whose relations changed.

Correlation changes compare the Pearson correlation of each variable pair over the most recent `steps` rows with
the correlation the same pair had in training windows of that length. A pair counts as changed when the change
exceeds both `min_change` and the 95th percentile of that pair's changes across training windows.
`changedValues` is |current - reference| / 2, in [0, 1].
"""
from __future__ import annotations

import numpy as np
import torch


def window_correlations(x: torch.Tensor, ends: torch.Tensor, steps: int) -> torch.Tensor:
    """Correlation matrices (n, V, V) of rows end-steps+1..end of x (T, V); constant series correlate 0."""
    idx = ends[:, None] + torch.arange(-steps + 1, 1)
    w = x[idx].double()
    w = w - w.mean(dim=1, keepdim=True)
    norm = w.norm(dim=1)                                   # (n, V)
    cov = w.transpose(1, 2) @ w                            # (n, V, V)
    denom = norm[:, :, None] * norm[:, None, :]
    return torch.where(denom > 1e-12, cov / denom.clamp_min(1e-12), torch.zeros_like(cov)).float()


def correlation_reference(x: torch.Tensor, steps: int, samples: int = 256, seed: int = 0) -> dict:
    """Mean correlation per pair and the 95th percentile of its changes, over training windows."""
    ends = torch.arange(steps - 1, len(x))
    if len(ends) > samples:
        ends = ends[torch.randperm(len(ends), generator=torch.Generator().manual_seed(seed))[:samples]]
    c = window_correlations(x, ends, steps)
    mean = c.mean(0)
    spread = torch.quantile((c - mean).abs().flatten(1), 0.95, dim=0).view_as(mean) if len(c) > 1 else torch.zeros_like(mean)
    return {"mean": mean.numpy(), "spread": spread.numpy()}


def interpretation(variables: list[str], contribution: np.ndarray, correlation: np.ndarray, reference: dict,
                   top: int, min_change: float) -> list[dict]:
    """The service's `interpretation` list for one timestamp.

    contribution: (V,) non-negative deviations; normalised here to sum to 1 over all variables.
    correlation: (V, V) correlations of the recent window.
    """
    total = float(contribution.sum())
    share = contribution / total if total > 0 else np.full(len(variables), 1.0 / len(variables))
    change = np.abs(correlation - reference["mean"]) / 2.0
    changed = (change > np.maximum(min_change / 2.0, reference["spread"] / 2.0))
    np.fill_diagonal(changed, False)
    items = []
    for v in np.argsort(-share, kind="stable")[:top]:
        others = [u for u in np.argsort(-change[v], kind="stable") if changed[v, u]]
        items.append({
            "variable": variables[v],
            "contributionScore": float(share[v]),
            "correlationChanges": {
                "changedVariables": [variables[u] for u in others],
                "changedValues": [float(min(change[v, u], 1.0)) for u in others],
            },
        })
    return items
