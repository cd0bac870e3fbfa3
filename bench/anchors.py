"""The three anchors the engine is measured against, each returning one score per test row.

Runs in .venv-bench (both packages pin numpy<2).
- microsoft: Microsoft's open-source `time-series-anomaly-detector` (the retired service's model), sliding window 200,
  its defaults otherwise except epochs (quality.MICROSOFT_EPOCHS); trained on `train`, scores = its per-timestamp `score` on the test set.
- pca: TSB-AD's PCA as its `run_PCA` builds it, with its multivariate setting (n_components=0.25), window 100.
  Unsupervised, as in TSB-AD's own benchmark: it is fitted on, and scores, the test series itself.
- zscore: max over variables of |x - mean| / std, mean and std from `train`.
"""
from __future__ import annotations

import os
import tempfile
import time
import warnings
from importlib.metadata import version

import numpy as np
import pandas as pd

from bench import datasets
from bench.datasets import Series

MICROSOFT_WINDOW = 200
PCA_COMPONENTS = 0.25


def versions() -> dict:
    """What the anchor results depend on; a change here recomputes them."""
    return {p: version(p) for p in ("time-series-anomaly-detector", "TSB-AD", "numpy", "scikit-learn", "torch")}


def fill_head(scores: np.ndarray) -> np.ndarray:
    """Timestamps without a full window get the first valid score (neither rewarded nor punished much)."""
    scores = np.asarray(scores, dtype=float)
    valid = np.flatnonzero(~np.isnan(scores))
    if len(valid) == 0:
        raise ValueError("no valid score")
    scores[: valid[0]] = scores[valid[0]]
    return np.where(np.isnan(scores), scores[valid[0]], scores)


def zscore(series: Series) -> tuple[np.ndarray, dict]:
    t0 = time.perf_counter()
    mean = series.train.mean(axis=0)
    std = series.train.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a variable constant in train is measured in its own units
    t1 = time.perf_counter()
    scores = np.max(np.abs(series.test - mean) / std, axis=1)
    t2 = time.perf_counter()
    return scores, {"train_seconds": t1 - t0, "detect_seconds": t2 - t1, "params": {}}


def pca(series: Series) -> tuple[np.ndarray, dict]:
    """run_PCA's body with one change: sklearn's covariance_eigh solver instead of a full SVD of the
    (rows x 100*variables) window matrix. Same components, same scores (max relative difference 1e-15 on ASD omi-1,
    every metric equal), minutes faster on SMD's 3,800 window features."""
    from TSB_AD.models.PCA import PCA

    t0 = time.perf_counter()
    model = PCA(slidingWindow=100, n_components=PCA_COMPONENTS, svd_solver="covariance_eigh")
    model.fit(series.test)
    scores = model.decision_scores_.ravel()
    t1 = time.perf_counter()
    return np.asarray(scores, float), {"train_seconds": 0.0, "detect_seconds": t1 - t0,
                                       "params": {"n_components": PCA_COMPONENTS, "slidingWindow": 100,
                                                  "svd_solver": "covariance_eigh"}}


def microsoft(series: Series, epochs: int) -> tuple[np.ndarray, dict]:
    import anomaly_detector.multivariate.model as ms_model

    ms_model.tqdm = lambda iterable, **_: iterable  # its per-batch progress bar would flood the bench's output
    warnings.filterwarnings("ignore", category=FutureWarning)  # mlflow on every predict call
    params = {"sliding_window": MICROSOFT_WINDOW, "epochs": epochs}
    needed = MICROSOFT_WINDOW - 1  # input_size (w/2) + threshold window (w/2) - 1 rows come back without a score
    history = series.history(needed)
    test = pd.DataFrame(np.vstack([history, series.test]), columns=series.columns)
    model, train_seconds = _fitted_microsoft(series, params)
    t0 = time.perf_counter()
    results = model.predict(None, test, params=dict(params))
    detect_seconds = time.perf_counter() - t0
    scores = np.full(len(test), np.nan)
    flags = np.zeros(len(test), dtype=bool)
    for item in results:
        scores[item["index"]] = item["score"]
        flags[item["index"]] = item["is_anomaly"]
    scores, flags = scores[len(history):], flags[len(history):]
    return fill_head(scores), {
        "train_seconds": train_seconds, "detect_seconds": detect_seconds, "params": params,
        "flag_share": float(flags.mean()), "train_shared": datasets.SHARED_TRAIN[series.dataset],
    }


_FITTED: dict = {}


def _fitted_microsoft(series: Series, params: dict):
    """Train Microsoft's model on the series' train split (once per dataset where the split is shared)."""
    from anomaly_detector import MultivariateAnomalyDetector

    key = (series.dataset, tuple(sorted(params.items())))
    if datasets.SHARED_TRAIN[series.dataset] and key in _FITTED:
        return _FITTED[key]
    train = pd.DataFrame(series.train, columns=series.columns)
    model = MultivariateAnomalyDetector()
    t0 = time.perf_counter()
    # it checkpoints to disk while training; the model stays in memory, so the folder can go right after
    with tempfile.TemporaryDirectory() as save:
        model.fit(train, params={**params, "save": save})
    _FITTED[key] = (model, time.perf_counter() - t0)
    return _FITTED[key]


def run(method: str, series: Series, microsoft_epochs: int) -> tuple[np.ndarray, dict]:
    if method == "microsoft":
        return microsoft(series, microsoft_epochs)
    return {"pca": pca, "zscore": zscore}[method](series)


def set_threads() -> int:
    import torch

    threads = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    return threads
