"""Score settings (deviation weight, top-k share of variables, smoothing) graded on the dev series without retraining.

The network's residuals do not depend on how they are aggregated into a score, so each series is trained once and
its residuals kept; every setting is then only arithmetic. Three steps, in the two environments of the bench:

    PYTHONPATH=. .venv/bin/python -m bench.scoring_grid residuals [--datasets asd skab smd]
    PYTHONPATH=. .venv/bin/python -m bench.scoring_grid scores --grid 0.25:0.2:5 0:0.4:5 ...   # weight:share:smoothing
    PYTHONPATH=. .venv-bench/bin/python -m bench.scoring_grid grade             # -> bench/results/scoring_grid.json

Scores are the service's `score` (threshold from the same POT calibration the engine runs), one per test row, as
`bench.engine_scores` writes them. Smoothing here reuses residuals of the trained context (window - default
smoothing + 1), a small approximation for other smoothing values.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from bench import datasets
from bench.common import CACHE, RESULTS, write_json

GRID_DIR = CACHE / "grid"
PAD = 10  # residual rows kept before the first scored row: enough for smoothing up to 10


def dump_residuals(names: list[str]) -> None:
    import torch

    from bench.engine_scores import fitted_model, to_frame
    from mvad_engine.estimator import calibration_start
    from mvad_engine.scoring import residuals

    torch.set_num_threads(1)
    for dataset in names:
        for name in datasets.series_names(dataset):
            series = datasets.load(dataset, name)
            model, _ = fitted_model(series, None)
            cfg, w = model.config, model.sliding_window
            x = model._prepare(to_frame(dataset, series.train, series.columns))
            calib_t = torch.arange(calibration_start(len(x), cfg) - PAD + 1, len(x))  # as `MvadModel._calibrate`
            cf, cr = residuals(model._net, x, calib_t, cfg.context)
            history = series.history(w)
            xt = model._prepare(to_frame(dataset, np.vstack([history, series.test]), series.columns))
            start = max(w, len(history))
            t = torch.arange(start - PAD + 1, len(xt))
            f, r = residuals(model._net, xt, t, cfg.context)
            out = GRID_DIR / "residuals" / dataset / f"{name.replace('/', '_')}.npz"
            out.parent.mkdir(parents=True, exist_ok=True)
            np.savez(out, cz=x[calib_t].numpy(), cf=cf, cr=cr, z=xt[t].numpy(), f=f, r=r, first=len(history),
                     start=start, rows=len(xt), config=json.dumps(cfg.to_dict()))
            print(json.dumps({"series": f"{dataset}/{name}", "residuals": str(out)}), flush=True)


def score_grid(settings: list[str]) -> None:
    from dataclasses import replace

    from mvad_engine.config import ModelConfig
    from mvad_engine.scoring import ScoreCalibration, scores_from_residuals, to_service_scale
    from mvad_engine.threshold import pot_threshold

    for path in sorted((GRID_DIR / "residuals").rglob("*.npz")):
        d = np.load(path)
        base = ModelConfig(**json.loads(str(d["config"])))
        skip = PAD - base.smoothing  # the engine's own scales come from rows lo - smoothing + 1 ..
        calib = ScoreCalibration.from_residuals(d["cf"][skip:], d["cr"][skip:])
        for setting in settings:
            weight, share, smoothing = setting.split(":")
            cfg = replace(base, deviation_weight=float(weight), top_k_fraction=float(share), smoothing=int(smoothing))
            cut = PAD - cfg.smoothing  # residual rows before the `smoothing - 1` that the first score needs
            calib_scores, _ = scores_from_residuals(d["cz"][cut:], d["cf"][cut:], d["cr"][cut:], calib, cfg)
            threshold = pot_threshold(calib_scores, cfg.pot_risk, cfg.pot_initial_quantile)
            raw, _ = scores_from_residuals(d["z"][cut:], d["f"][cut:], d["r"][cut:], calib, cfg)
            full = np.full(int(d["rows"]), np.nan)
            full[int(d["start"]):] = to_service_scale(raw, threshold)[0]
            scores = full[int(d["first"]):]
            scores[np.isnan(scores)] = scores[np.isfinite(scores)][0]  # rows without a full window, as the bench does
            out = GRID_DIR / "scores" / setting.replace(":", "_") / path.parent.name / f"{path.stem}.npy"
            out.parent.mkdir(parents=True, exist_ok=True)
            np.save(out, scores)


def grade() -> dict:
    from bench.metrics import evaluate, vus_window

    report = {}
    for folder in sorted((GRID_DIR / "scores").iterdir()):
        setting = folder.name.replace("_", ":")
        report[setting] = {}
        for dataset in datasets.DATASETS:
            per_series = {}
            for name in datasets.series_names(dataset):
                path = folder / dataset / f"{name.replace('/', '_')}.npy"
                if path.exists():
                    series = datasets.load(dataset, name)
                    per_series[name] = evaluate(np.load(path), series.labels, window=vus_window(series.test))["VUS-PR"]
            if per_series:
                report[setting][dataset] = {"VUS-PR": float(np.mean(list(per_series.values()))), "series": per_series}
        print(setting, {d: round(v["VUS-PR"], 4) for d, v in report[setting].items()}, flush=True)
    write_json(RESULTS / "scoring_grid.json", report)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["residuals", "scores", "grade"])
    parser.add_argument("--datasets", nargs="+", default=list(datasets.DATASETS))
    parser.add_argument("--grid", nargs="+", default=["0.25:0.2:5", "0:0.2:5", "0:0.33:5", "0:0.4:5", "0.25:0.4:5",
                                                      "0:0.5:5", "0:0.4:7"])
    args = parser.parse_args(argv)
    if args.step == "residuals":
        dump_residuals(args.datasets)
    elif args.step == "scores":
        score_grid(args.grid)
    else:
        grade()
    return 0


if __name__ == "__main__":
    sys.exit(main())
