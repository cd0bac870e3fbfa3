"""Peak memory of training at the service's size limit: 1,000,000 timestamps x 300 variables, one epoch.

The data is generated in memory (sinusoids of random period and phase plus noise, float32) and handed to the engine
as a PreparedFrame: a 1M x 300 CSV would be ~3 GB of text and measure the CSV reader, not training. The training runs
in its own process so the peak is its own; the parent samples that process's RSS (psutil) every 0.2 s, so a run that
hits the time limit still reports the peak it had reached. Goal: < 8 GB.

    .venv-bench/bin/python -m bench.memory [--rows 1000000 --variables 300 --timeout 1800]
    .venv/bin/python -m bench.memory --child ...     # the measured process (prints one JSON line)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench.common import MAIN_PYTHON, REPO, RESULTS, write_json

GOAL_BYTES = 8 * 1024**3


def synthetic(rows: int, variables: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    from mvad_engine import PreparedFrame

    rng = np.random.default_rng(seed)
    t = np.arange(rows, dtype=np.float32)
    values = np.empty((rows, variables), dtype=np.float32)
    for v in range(variables):  # column by column keeps the float64 temporaries to one column
        period = rng.uniform(50, 2000)
        values[:, v] = np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi)) + 0.1 * rng.standard_normal(rows)
    timestamps = pd.date_range("2020-01-01", periods=rows, freq="1min", tz="UTC")
    names = [f"var{v:03d}" for v in range(variables)]
    return PreparedFrame(timestamps, values, names, [])


def child(rows: int, variables: int, epochs: int) -> dict:
    import resource

    from mvad_engine import MvadModel

    t0 = time.perf_counter()
    frame = synthetic(rows, variables)
    t1 = time.perf_counter()
    data_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    MvadModel(epochs=epochs).fit(frame)
    t2 = time.perf_counter()
    return {"generate_seconds": t1 - t0, "train_seconds": t2 - t1, "data_bytes": int(frame.values.nbytes),
            "peak_rss_after_data_bytes": int(data_peak),
            "peak_rss_bytes_self": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}


def run(rows: int = 1_000_000, variables: int = 300, epochs: int = 1, timeout: float = 1800, threads: int = 2) -> dict:
    import psutil

    cmd = [str(MAIN_PYTHON), "-m", "bench.memory", "--child", "--rows", str(rows), "--variables", str(variables),
           "--epochs", str(epochs), "--threads", str(threads)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(proc.pid)
    peak, timed_out = 0, False
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        if time.perf_counter() - start > timeout:
            timed_out = True
            proc.kill()
            break
        time.sleep(0.2)
    out = proc.communicate()[0]
    wall = time.perf_counter() - start
    result = next((json.loads(line) for line in out.splitlines() if line.startswith("{")), {})
    peak = max(peak, result.get("peak_rss_bytes_self", 0))
    report = {"rows": rows, "variables": variables, "epochs": epochs, "threads": threads, "wall_seconds": wall,
              "timed_out": timed_out, "timeout_seconds": timeout, "returncode": proc.returncode,
              "peak_rss_bytes": peak, "peak_rss_gib": peak / 1024**3, "goal_gib": GOAL_BYTES / 1024**3,
              "within_goal": (not timed_out and proc.returncode == 0 and peak < GOAL_BYTES), **result}
    write_json(RESULTS / "memory.json", report)
    return report


def table(report: dict) -> str:
    status = "timed out" if report["timed_out"] else ("ok" if report["returncode"] == 0 else f"exit {report['returncode']}")
    return (f"memory: train {report['epochs']} epoch on {report['rows']:,} x {report['variables']}: peak RSS "
            f"{report['peak_rss_gib']:.2f} GiB (goal < {report['goal_gib']:.0f}), wall {report['wall_seconds']:.0f} s, "
            f"train {report.get('train_seconds', float('nan')):.0f} s [{status}]")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--variables", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args(argv)
    if args.child:
        import torch

        torch.set_num_threads(args.threads)
        print(json.dumps(child(args.rows, args.variables, args.epochs)), flush=True)
        return 0
    print(table(run(args.rows, args.variables, args.epochs, args.timeout, args.threads)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
