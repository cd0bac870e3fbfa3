"""Score an anomaly-score array against 0/1 labels with TSB-AD's metrics (VUS-PR is the headline).

Runs in .venv-bench (tsb-ad pins numpy<2). Library use::

    from bench.metrics import evaluate, vus_window
    evaluate(scores, labels, window=vus_window(test_values))   # {"VUS-PR": ..., "VUS-ROC": ..., ...}

CLI (prints JSON)::

    .venv-bench/bin/python bench/metrics.py SCORES.npy LABELS.npy|LABELS.txt [--window N | --data TEST.npy|.txt.gz]
    .venv-bench/bin/python bench/metrics.py SCORES.npy --series smd/machine-1-2     # labels and window from the dev data

Scores are min-max scaled first, as TSB-AD's benchmark does, then graded by TSB-AD's get_metrics with pred=None (as its
benchmark scripts call it): the F1s are then the best over thresholds, so no method is judged on its own thresholding.
All of get_metrics' keys come back (also Event-based-F1, R-based-F1, Affiliation-F); the headline ones are METRICS.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

# The headline metrics, in table order.
METRICS = ("VUS-PR", "VUS-ROC", "AUC-PR", "AUC-ROC", "Standard-F1", "PA-F1")


def vus_window(test_values: np.ndarray) -> int:
    """TSB-AD's VUS window for a multivariate series: the period of its first variable (find_length_rank, rank=1)."""
    from TSB_AD.utils.slidingWindows import find_length_rank

    first = np.asarray(test_values, dtype=float)
    first = first[:, 0] if first.ndim == 2 else first
    return int(find_length_rank(first.reshape(-1, 1), rank=1))


def min_max(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=float).ravel()
    if np.isnan(scores).any():
        raise ValueError(f"{int(np.isnan(scores).sum())} NaN scores")
    finite = scores[np.isfinite(scores)]
    # +inf means "as anomalous as it gets": clip to the largest finite score so scaling stays meaningful
    scores = np.clip(scores, finite.min(), finite.max())
    span = scores.max() - scores.min()
    return (scores - scores.min()) / span if span > 0 else np.zeros_like(scores)


def evaluate(scores: np.ndarray, labels: np.ndarray, window: int) -> dict:
    """TSB-AD's get_metrics on min-max-scaled scores, oracle thresholds (pred=None), as its own benchmark calls it."""
    from TSB_AD.evaluation.metrics import get_metrics

    labels = np.asarray(labels).astype(int).ravel()
    scores = min_max(scores)
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores for {len(labels)} labels")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about thresholds that flag nothing, which the oracle skips
        return {k: float(v) for k, v in get_metrics(scores, labels, slidingWindow=window).items()}


def _load_array(path: str) -> np.ndarray:
    path = str(path)
    if path.endswith(".npy"):
        return np.load(path)
    return np.loadtxt(path, delimiter=",", ndmin=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="TSB-AD metrics (VUS-PR, ...) of a score array, as JSON.")
    parser.add_argument("scores", help="scores, .npy or text (one per line)")
    parser.add_argument("labels", nargs="?", help="0/1 labels, .npy or text (one per line)")
    parser.add_argument("--window", type=int, help="VUS window (default: from --data or --series)")
    parser.add_argument("--data", help="the test values (rows x variables, .npy or csv text); the window is found from its first variable")
    parser.add_argument("--series", help="a dev series, e.g. smd/machine-1-2 or skab/valve1/0: labels and window from it")
    args = parser.parse_args(argv)

    scores = _load_array(args.scores)
    labels = _load_array(args.labels) if args.labels else None
    window = args.window
    if args.series:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from bench import datasets

        dataset, name = args.series.split("/", 1)
        series = datasets.load(dataset, name)
        labels = series.labels if labels is None else labels
        window = window or vus_window(series.test)
    if labels is None:
        parser.error("give LABELS or --series")
    if window is None:
        if not args.data:
            parser.error("give --window, --data or --series")
        window = vus_window(_load_array(args.data))
    result = {"window": window, "points": int(len(labels)), **evaluate(scores, labels, window)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
