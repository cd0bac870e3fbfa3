"""Detection quality on the dev series: this engine next to the three anchors, graded by TSB-AD's metrics.

Runs in .venv-bench. The anchors are cached per dataset in bench/results/anchors-<dataset>.json, keyed by series, method
parameters and package versions, so a new engine version re-runs only the engine. The engine itself runs in the main
.venv (bench/engine_scores.py) and hands its scores over as .npy files.
"""
from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from bench import anchors, datasets
from bench.common import CACHE, MAIN_PYTHON, RESULTS, read_json, run_python, write_json
from bench.metrics import METRICS, evaluate, vus_window

METHODS = ("engine", "microsoft", "pca", "zscore")
ANCHORS = ("microsoft", "pca", "zscore")
# Microsoft's default is 100 epochs, used on ASD and SKAB (about 30 min each on one core). SMD's seven long series
# would take ~2.5 h at 100 epochs on one core, so SMD uses 20 (there PCA, not Microsoft's model, is the best anchor).
MICROSOFT_EPOCHS = {"smd": 20, "asd": 100, "skab": 100}
QUICK_MICROSOFT_EPOCHS = 2
QUICK_ENGINE_EPOCHS = 3


def anchor_params(dataset: str, quick: bool) -> dict:
    epochs = QUICK_MICROSOFT_EPOCHS if quick else MICROSOFT_EPOCHS[dataset]
    return {"microsoft": {"sliding_window": anchors.MICROSOFT_WINDOW, "epochs": epochs},
            "pca": {"n_components": anchors.PCA_COMPONENTS, "slidingWindow": 100},
            "zscore": {}}


def anchors_path(dataset: str, quick: bool):
    return RESULTS / f"anchors-{'quick-' if quick else ''}{dataset}.json"


def compute_anchors(dataset: str, quick: bool = False, force: bool = False, only: list[str] | None = None) -> dict:
    """Fill (or refresh) the anchor cache of one dataset; returns it.

    Saved after every method of every series, merged with what is on disk, so an interrupted run keeps its work and
    several processes may fill one dataset side by side (`only` = the series names this one takes).
    """
    path = anchors_path(dataset, quick)
    params = anchor_params(dataset, quick)
    current = anchors.versions()
    if force:
        write_json(path, {"versions": current, "params": params, "series": {}})
    threads = anchors.set_threads()
    names = [n for n in datasets.series_names(dataset)[: 1 if quick else None] if not only or n in only]
    for name in tqdm(names, desc=f"anchors {dataset}"):
        entry = _load_cache(path, current, params)["series"].get(name, {})
        todo = [m for m in ANCHORS if entry.get(m, {}).get("params") != params[m]]
        if not todo:
            continue
        series = datasets.load(dataset, name)
        entry.update(window=vus_window(series.test), points=len(series.labels),
                     anomaly_share=float(series.labels.mean()))
        for method in todo:
            scores, info = anchors.run(method, series, params["microsoft"]["epochs"])
            _save_scores(method, series, scores)
            entry[method] = {**evaluate(scores, series.labels, entry["window"]), **info, "threads": threads}
            cache = _load_cache(path, current, params)
            cache["series"][name] = entry
            write_json(path, cache)
    return _load_cache(path, current, params)


def _load_cache(path, current: dict, params: dict) -> dict:
    cache = read_json(path, {})
    if cache.get("versions") != current:  # other package versions: start afresh
        cache = {"versions": current, "series": {}}
    cache["params"] = params
    return cache


def cached_engine(datasets_: list[str]) -> dict:
    """Engine scores already on disk (whatever engine source wrote them; each row says which)."""
    import json

    rows = {}
    for dataset in datasets_:
        for sidecar in sorted((CACHE / "scores" / "engine" / dataset).rglob("*.json")):
            row = json.loads(sidecar.read_text())
            rows[row["key"]] = row
    return rows


def run_engine(datasets_: list[str], quick: bool) -> dict:
    """Engine scores per series key, from a subprocess in the main .venv."""
    args = ["--out", str(CACHE / "scores" / "engine"), "--datasets", *datasets_]
    if quick:
        args += ["--quick", "--epochs", str(QUICK_ENGINE_EPOCHS)]
    bar = tqdm(desc="engine series", total=None)
    rows = run_python(MAIN_PYTHON, "bench.engine_scores", *args, on_line=lambda _: bar.update())
    bar.close()
    return {row["key"]: row for row in rows}


def run(datasets_=datasets.DATASETS, quick: bool = False, force_anchors: bool = False, engine: str = "run") -> dict:
    """engine: "run" (score what the current engine has not scored yet), "cached" (grade only the anchor and engine
    results already on disk, computing nothing), "off" (anchors only)."""
    t0 = time.perf_counter()
    if engine == "cached":  # grade what is on disk, compute nothing
        caches = {d: _load_cache(anchors_path(d, quick), anchors.versions(), anchor_params(d, quick)) for d in datasets_}
    else:
        caches = {d: compute_anchors(d, quick, force_anchors) for d in datasets_}
    engine_rows = {"run": lambda: run_engine(list(datasets_), quick), "cached": lambda: cached_engine(list(datasets_)),
                   "off": dict}[engine]()
    report = {"quick": quick, "datasets": {}, "anchor_versions": anchors.versions()}
    for dataset in datasets_:
        per_series = {}
        for name in datasets.series_names(dataset)[: 1 if quick else None]:
            entry = caches[dataset]["series"].get(name)
            if entry is None:  # only in "cached" mode: this series' anchors were never computed
                continue
            row = {m: entry[m] for m in ANCHORS if m in entry}
            key = f"{dataset}/{name}"
            if key in engine_rows:
                info = dict(engine_rows[key])
                scores = anchors.fill_head(np.load(info.pop("scores")))
                labels = datasets.load(dataset, name).labels
                row["engine"] = {**evaluate(scores, labels, entry["window"]), **info}
            per_series[name] = {"window": entry["window"], "points": entry["points"],
                                "anomaly_share": entry["anomaly_share"], **row}
        report["datasets"][dataset] = {"series": per_series, "mean": _means(per_series),
                                       "microsoft_epochs": caches[dataset]["params"]["microsoft"]["epochs"]}
    report["seconds"] = time.perf_counter() - t0
    # The anchors alone go to their own file, so that they never replace a graded engine's report.
    name = "quality-anchors" if engine == "off" else "quality"
    write_json(RESULTS / f"{name}{'-quick' if quick else ''}.json", report)
    return report


def _means(per_series: dict) -> dict:
    means = {}
    for method in METHODS:
        rows = [s[method] for s in per_series.values() if method in s]
        if rows:
            keys = [*METRICS, "train_seconds", "detect_seconds"]
            means[method] = {k: float(np.mean([r[k] for r in rows])) for k in keys} | {"series": len(rows)}
    return means


def _save_scores(method: str, series, scores: np.ndarray) -> None:
    path = CACHE / "scores" / method / series.dataset / f"{series.name}.npy"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, scores)


def table(report: dict) -> str:
    head = (f"{'dataset':<6} {'method':<10} {'n':>2} " + " ".join(f"{m:>11}" for m in METRICS)
            + f" {'train s':>9} {'detect s':>9}")
    lines = [head, "-" * len(head)]
    for dataset, block in report["datasets"].items():
        for method, m in block["mean"].items():
            cells = " ".join(f"{m[k]:>11.3f}" for k in METRICS)
            lines.append(f"{dataset:<6} {method:<10} {m['series']:>2} {cells} {m['train_seconds']:>9.1f} "
                         f"{m['detect_seconds']:>9.1f}")
    return "\n".join(lines)
