"""The engine's training and detection on a CUDA device, beside the same machine's CPU.

Two runs, each printed as one JSON line and gathered into one report:
- sample: `multivariate_sample_data.csv` (30,010 x 5), window 300, trained on the whole file (as `bench.speed`),
  then detection with interpretation on the whole file in <= 20,000-timestamp requests. Epochs per second are
  epochs / training wall time (calibration included) and also 1 / mean epoch latency (the epoch loop alone).
- wide: one epoch on the 1,000,000 x 300 synthetic data of `bench.memory`, with the GPU's peak allocation.

    python -m bench.cuda [--epochs 100] [--cpu-epochs 5] [--out bench/results/cuda.json]

Needs only the engine's own packages (numpy, pandas, scipy, torch, tqdm), so it runs with a GPU machine's stock
Python; `MVAD_DATA_DIR` points at the folder that holds `azure-samples/`.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

from bench.common import write_json
from bench.speed import MAX_DETECT, SAMPLE, WINDOW


def sample_run(device: str, epochs: int) -> dict:
    import numpy as np
    import torch

    from mvad_engine import MvadModel, PreparedFrame, prepare

    frame = prepare(SAMPLE, schema="OneTable")
    model = MvadModel(sliding_window=WINDOW, epochs=epochs, device=device, progress=False)
    latencies = []
    _sync(device)
    t0 = time.perf_counter()
    model.fit(frame, on_epoch=lambda r: latencies.append(r.latency_seconds))
    _sync(device)
    t1 = time.perf_counter()
    scored, flagged = 0, 0
    step = MAX_DETECT - WINDOW
    for a in range(WINDOW, len(frame), step):
        lo, hi = a - WINDOW, min(len(frame), a + step)
        chunk = PreparedFrame(frame.timestamps[lo:hi], frame.values[lo:hi], frame.variables, [])
        for item in model.detect(chunk, start=frame.timestamps[a]):
            scored += 1
            flagged += bool(item["value"]["isAnomaly"])
    _sync(device)
    t2 = time.perf_counter()
    return {"run": "sample", "device": device, "epochs": epochs, "rows": len(frame), "variables": len(frame.variables),
            "train_seconds": t1 - t0, "epochs_per_second": epochs / (t1 - t0),
            "epoch_loop_epochs_per_second": 1.0 / float(np.mean(latencies)),
            "detect_seconds": t2 - t1, "detected_points": scored, "points_per_second": scored / (t2 - t1),
            "flag_share": flagged / max(scored, 1), "threads": torch.get_num_threads()}


def wide_run(device: str, rows: int, variables: int) -> dict:
    import torch

    from bench.memory import synthetic
    from mvad_engine import MvadModel

    frame = synthetic(rows, variables)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    _sync(device)
    t0 = time.perf_counter()
    model = MvadModel(sliding_window=WINDOW, epochs=1, device=device, progress=False).fit(frame)
    _sync(device)
    t1 = time.perf_counter()
    return {"run": "wide", "device": device, "rows": rows, "variables": variables, "epochs": 1,
            "train_seconds": t1 - t0, "epoch_seconds": model._history[-1].latency_seconds,
            "gpu_peak_allocated_gib": torch.cuda.max_memory_allocated() / 1024**3 if device == "cuda" else None,
            "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="CUDA epochs on the sample (the default 100)")
    parser.add_argument("--cpu-epochs", type=int, default=5, help="the same machine's CPU, for scale (0: skip)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--variables", type=int, default=300)
    parser.add_argument("--device", default="cuda", help="cpu: a dry run of this script where no GPU is")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("bench.cuda: no CUDA device here", file=sys.stderr)
        return 2
    gpu = torch.cuda.get_device_name(0) if args.device == "cuda" else None
    report = {"gpu": gpu, "torch": torch.__version__, "python": platform.python_version(), "runs": []}
    runs = [lambda: sample_run(args.device, args.epochs), lambda: wide_run(args.device, args.rows, args.variables)]
    if args.cpu_epochs:
        runs.append(lambda: sample_run("cpu", args.cpu_epochs))
    for run in runs:
        result = run()
        print(json.dumps(result), flush=True)
        report["runs"].append(result)
        if args.out:
            write_json(Path(args.out), report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
