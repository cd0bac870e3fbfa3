"""Train this engine on each dev series and write its per-timestamp scores for the bench venv to grade.

Runs in the main .venv (the engine needs numpy 2 / pandas 3; tsb-ad needs numpy<2), so the two halves meet through
files: bench/cache/scores/engine/<dataset>/<series>.npy, a <series>.json beside it and the same JSON as one line on
stdout ({"key", "engine", "train_seconds", "detect_seconds", "epochs", ...}). "engine" is a hash of mvad_engine/'s
source: a series already scored by the same engine source and epochs is not run again (--rerun forces it).

    PYTHONPATH=. .venv/bin/python -m bench.engine_scores --out bench/cache/scores/engine [--quick] [--epochs N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from bench import datasets
from bench.datasets import Series

MAX_DETECT = 20_000  # the service's limit on timestamps per detection call
ENGINE_DIR = datasets.REPO / "mvad_engine"


def engine_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(ENGINE_DIR.rglob("*.py")):
        digest.update(path.relative_to(ENGINE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def to_frame(dataset: str, values: np.ndarray, columns: list[str], start: str = "2020-01-01T00:00:00Z"):
    """Go through the product's own path: a OneTable CSV handed to `prepare`."""
    import pandas as pd
    from mvad_engine import prepare

    table = pd.DataFrame(values, columns=columns)
    table.insert(0, "timestamp", datasets.timestamps(dataset, len(values), start).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return prepare(table.to_csv(index=False).encode(), schema="OneTable")


def score_frame(model, frame, first: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and isAnomaly flags for rows first.. of `frame`; NaN where the engine gives no score."""
    from mvad_engine import PreparedFrame

    n = len(frame)
    if hasattr(model, "anomaly_scores"):  # the engine's bulk scoring call, where it exists
        scores = np.asarray(model.anomaly_scores(frame), dtype=float)[first:]
        return scores, np.full(n - first, np.nan)
    history = model.sliding_window
    scores = np.full(n, np.nan)
    flags = np.full(n, np.nan)
    step = MAX_DETECT - history
    for a in range(first, n, step):
        lo, hi = max(0, a - history), min(n, a + step)
        chunk = PreparedFrame(frame.timestamps[lo:hi], frame.values[lo:hi], frame.variables, frame.variable_states)
        for i, item in enumerate(model.detect(chunk, start=frame.timestamps[a], top_contributors=1)):
            value = item.get("value")
            if value is not None:
                scores[a + i] = value["score"]
                flags[a + i] = value["isAnomaly"]
    return scores[first:], flags[first:]


_FITTED: dict = {}


def fitted_model(series: Series, epochs: int | None):
    """The engine with default settings trained on the series' train split (once per dataset where it is shared)."""
    from mvad_engine import MvadModel

    if datasets.SHARED_TRAIN[series.dataset] and series.dataset in _FITTED:
        return _FITTED[series.dataset]
    model = MvadModel(**({} if epochs is None else {"epochs": epochs}))
    train = to_frame(series.dataset, series.train, series.columns)
    t0 = time.perf_counter()
    model.fit(train)
    _FITTED[series.dataset] = (model, time.perf_counter() - t0)
    return _FITTED[series.dataset]


def run_series(series: Series, epochs: int | None) -> tuple[np.ndarray, dict]:
    model, train_seconds = fitted_model(series, epochs)
    t1 = time.perf_counter()
    history = series.history(model.sliding_window)
    # history rows sit right before the test rows in time, as they did in the original series
    frame = to_frame(series.dataset, np.vstack([history, series.test]), series.columns)
    scores, flags = score_frame(model, frame, first=len(history))
    t2 = time.perf_counter()
    return scores, {
        "train_seconds": train_seconds, "detect_seconds": t2 - t1, "train_shared": datasets.SHARED_TRAIN[series.dataset],
        "epochs": model.epochs, "sliding_window": model.sliding_window,
        "flag_share": float(np.nanmean(flags)) if np.isfinite(flags).any() else None,
        "unscored_rows": int(np.isnan(scores).sum()),
    }


def main(argv=None) -> int:
    import torch
    from tqdm import tqdm

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--datasets", nargs="+", default=list(datasets.DATASETS))
    parser.add_argument("--quick", action="store_true", help="one series per dataset")
    parser.add_argument("--epochs", type=int, help="override the engine's default (quick mode)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rerun", action="store_true", help="score again even where the same engine already did")
    args = parser.parse_args(argv)
    engine = engine_fingerprint()
    if args.threads:
        torch.set_num_threads(args.threads)
    todo = [(d, n) for d in args.datasets for n in datasets.series_names(d)[: 1 if args.quick else None]]
    for dataset, name in tqdm(todo, desc="engine", file=sys.stderr):
        path = args.out / dataset / f"{name}.npy"
        sidecar = path.with_suffix(".json")
        if not args.rerun and sidecar.exists() and path.exists():
            done = json.loads(sidecar.read_text())
            if done.get("engine") == engine and done.get("requested_epochs") == args.epochs:
                print(json.dumps(done), flush=True)
                continue
        series = datasets.load(dataset, name)
        scores, info = run_series(series, args.epochs)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, scores)
        row = {"key": series.key, "engine": engine, "requested_epochs": args.epochs, "scores": str(path), **info}
        sidecar.write_text(json.dumps(row, indent=2) + "\n")
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
