"""Train and detection speed on the original service's 30,010 x 5 sample: Microsoft's package vs this engine.

Both sides get the same sliding window (300), the same epochs and the same thread count, each in its own process
(Microsoft's package in .venv-bench, the engine in the main .venv), trained on the whole file, then asked to detect on
the whole file with interpretation (Microsoft's `predict`, the engine's `detect` in chunks of <= 20,000 timestamps).
Detection speed = scored timestamps / detect wall time.

    .venv-bench/bin/python -m bench.speed [--epochs 100] [--threads 2]
    <venv>/bin/python -m bench.speed --side engine|microsoft ...   # one side, one JSON line (used by the above)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

from bench.common import BENCH_PYTHON, MAIN_PYTHON, RESULTS, run_python, write_json
from bench.datasets import DATA_DIR

SAMPLE = DATA_DIR / "azure-samples" / "multivariate_sample_data.csv"
WINDOW = 300
EPOCHS = 100  # the engine's and Microsoft's default
MAX_DETECT = 20_000


def load_sample():
    import pandas as pd

    table = pd.read_csv(SAMPLE)
    return table.drop(columns=["timestamp"]), table


def microsoft_side(epochs: int, train_share: float = 1.0) -> dict:
    import tempfile

    import anomaly_detector.multivariate.model as ms_model
    from anomaly_detector import MultivariateAnomalyDetector

    ms_model.tqdm = lambda iterable, **_: iterable
    warnings.filterwarnings("ignore", category=FutureWarning)  # mlflow on every predict call
    values, _ = load_sample()
    train = values.iloc[: int(len(values) * train_share)]
    params = {"sliding_window": WINDOW, "epochs": epochs}
    with tempfile.TemporaryDirectory() as save:
        model = MultivariateAnomalyDetector()
        t0 = time.perf_counter()
        model.fit(train, params={**params, "save": save})
        t1 = time.perf_counter()
        results = model.predict(None, values, params=dict(params))
        t2 = time.perf_counter()
    flagged = [r["index"] for r in results if r["is_anomaly"]]
    tail_start = len(train)
    scored_tail = [r for r in results if r["index"] >= tail_start]
    return {"side": "microsoft", "epochs": epochs, "sliding_window": WINDOW, "train_rows": len(train),
            "train_seconds": t1 - t0, "detect_seconds": t2 - t1, "detected_points": len(results),
            "points_per_second": len(results) / (t2 - t1),
            "flag_share": len(flagged) / len(results),
            "flag_share_tail": (sum(r["is_anomaly"] for r in scored_tail) / len(scored_tail)) if scored_tail else None}


def engine_side(epochs: int, train_share: float = 1.0) -> dict:
    import numpy as np

    from mvad_engine import MvadModel, PreparedFrame, prepare

    frame = prepare(SAMPLE, schema="OneTable")
    cut = int(len(frame) * train_share)
    train = PreparedFrame(frame.timestamps[:cut], frame.values[:cut], frame.variables, frame.variable_states)
    model = MvadModel(sliding_window=WINDOW, epochs=epochs)
    t0 = time.perf_counter()
    model.fit(train)
    t1 = time.perf_counter()
    flags = np.full(len(frame), np.nan)
    step = MAX_DETECT - WINDOW
    for a in range(WINDOW, len(frame), step):
        lo, hi = a - WINDOW, min(len(frame), a + step)
        chunk = PreparedFrame(frame.timestamps[lo:hi], frame.values[lo:hi], frame.variables, frame.variable_states)
        for i, item in enumerate(model.detect(chunk, start=frame.timestamps[a])):
            if item.get("value") is not None:
                flags[a + i] = item["value"]["isAnomaly"]
    t2 = time.perf_counter()
    scored = np.isfinite(flags)
    tail = flags[cut:][np.isfinite(flags[cut:])]
    return {"side": "engine", "epochs": epochs, "sliding_window": WINDOW, "train_rows": cut,
            "train_seconds": t1 - t0, "detect_seconds": t2 - t1, "detected_points": int(scored.sum()),
            "points_per_second": float(scored.sum() / (t2 - t1)),
            "flag_share": float(np.nanmean(flags)),
            "flag_share_tail": float(tail.mean()) if len(tail) else None}


def run(epochs: int = EPOCHS, threads: int | None = None) -> dict:
    threads = threads or os.cpu_count() or 1
    args = ["--epochs", str(epochs), "--threads", str(threads)]
    ms = run_python(BENCH_PYTHON, "bench.speed", "--side", "microsoft", *args)[-1]
    engine = run_python(MAIN_PYTHON, "bench.speed", "--side", "engine", *args)[-1]
    report = {"sample": SAMPLE.name, "rows": 30010, "threads": threads, "microsoft": ms, "engine": engine,
              "train_speedup": ms["train_seconds"] / engine["train_seconds"],
              "detect_speedup": engine["points_per_second"] / ms["points_per_second"], "target_speedup": 3.0}
    write_json(RESULTS / "speed.json", report)
    return report


def table(report: dict) -> str:
    ms, en = report["microsoft"], report["engine"]
    return "\n".join([
        f"speed on {report['sample']} (window {WINDOW}, {en['epochs']} epochs, {report['threads']} threads)",
        f"{'':<10} {'train s':>9} {'detect pts/s':>13}",
        f"{'microsoft':<10} {ms['train_seconds']:>9.1f} {ms['points_per_second']:>13.0f}",
        f"{'engine':<10} {en['train_seconds']:>9.1f} {en['points_per_second']:>13.0f}",
        f"{'speed-up':<10} {report['train_speedup']:>8.2f}x {report['detect_speedup']:>12.2f}x  (target >= 3x)",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=["engine", "microsoft"])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--train-share", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.side is None:
        report = run(args.epochs, args.threads)
        print(table(report))
        return 0
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    side = engine_side if args.side == "engine" else microsoft_side
    result = side(args.epochs, args.train_share)
    result["threads"] = torch.get_num_threads()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
