"""`make bench`: quality against the anchors, speed, flag share and memory; JSON under bench/results/, tables on stdout.

    bench/run.sh                              # everything (anchors from cache where valid)
    bench/run.sh --quick                      # one series per dataset, few epochs, smaller memory run
    bench/run.sh --parts anchors              # only fill the anchor caches (no engine needed)
    bench/run.sh --parts quality --anchors    # recompute the anchors, then grade the engine
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from bench import datasets, flags, memory, quality, speed
from bench.common import RESULTS, read_json, write_json

PARTS = ("anchors", "quality", "speed", "flags", "memory")
DEFAULT_PARTS = ("quality", "speed", "flags", "memory")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(DEFAULT_PARTS))
    parser.add_argument("--datasets", nargs="+", choices=datasets.DATASETS, default=list(datasets.DATASETS))
    parser.add_argument("--quick", action="store_true", help="1 series per dataset, few epochs, 100k-row memory run")
    parser.add_argument("--series", nargs="+", help="anchors part: only these series names (to fill a cache side by side)")
    parser.add_argument("--anchors", action="store_true", help="recompute the cached anchor results")
    parser.add_argument("--engine", choices=["run", "cached", "off"], default="run",
                        help="quality: run the engine where its current source has not scored a series yet (run), "
                             "grade only the anchor and engine results already on disk, computing nothing "
                             "(cached), or grade the anchors only (off)")
    parser.add_argument("--epochs", type=int, default=speed.EPOCHS,
                        help="speed and flags: training epochs, the same for both sides (default: the engine's 100)")
    parser.add_argument("--flags-microsoft", action="store_true",
                        help="flags: also train Microsoft's package on the 70 %% (else only its cached share, if any)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory-timeout", type=float, default=1800, help="seconds for the 1M x 300 epoch")
    args = parser.parse_args(argv)

    summary_path = RESULTS / ("summary-quick.json" if args.quick else "summary.json")
    epochs = 3 if args.quick else args.epochs
    summary = {}
    tables = []
    for part in args.parts:
        t0 = time.perf_counter()
        if part == "anchors":
            for dataset in args.datasets:
                quality.compute_anchors(dataset, args.quick, args.anchors, args.series)
            if args.series:  # one of several processes filling a cache: the table comes from a later run
                continue
            report = quality.run(args.datasets, args.quick, engine="off")
            tables.append(quality.table(report))
            summary["anchors"] = _quality_summary(report)
        elif part == "quality":
            report = quality.run(args.datasets, args.quick, args.anchors, args.engine)
            tables.append(quality.table(report))
            summary["quality"] = _quality_summary(report)
        elif part == "speed":
            report = speed.run(epochs, args.threads)
            tables.append(speed.table(report))
            summary["speed"] = {k: report[k] for k in ("train_speedup", "detect_speedup")} | {
                side: {k: report[side][k] for k in ("epochs", "train_seconds", "points_per_second")}
                for side in ("microsoft", "engine")}
        elif part == "flags":
            report = flags.run(epochs, args.threads, args.anchors, args.flags_microsoft)
            tables.append(flags.table(report))
            summary["flags"] = {side: {k: report[side][k] for k in ("epochs", "flag_share", "flag_share_tail")}
                                for side in ("engine", "microsoft") if report.get(side)}
        elif part == "memory":
            rows = 100_000 if args.quick else 1_000_000
            report = memory.run(rows, 300, 1, args.memory_timeout, args.threads)
            tables.append(memory.table(report))
            summary["memory"] = {k: report[k] for k in ("rows", "variables", "peak_rss_gib", "wall_seconds",
                                                         "timed_out", "within_goal")}
        summary.setdefault("seconds", {})[part] = time.perf_counter() - t0
        _update_summary(summary_path, summary)
        print(f"\n{tables[-1]}\n", flush=True)
    print("\n\n".join(tables))
    return 0


def _update_summary(path, parts: dict) -> None:
    """Merge into the summary on disk: parts not run this time (or run by another process) keep their result."""
    summary = read_json(path, {})
    seconds = {**summary.get("seconds", {}), **parts.get("seconds", {})}
    summary.update(parts)
    summary["seconds"] = seconds
    write_json(path, summary)


def _quality_summary(report: dict) -> dict:
    return {dataset: {method: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
                      for method, m in block["mean"].items()}
            for dataset, block in report["datasets"].items()}


if __name__ == "__main__":
    sys.exit(main())
