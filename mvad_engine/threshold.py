"""The anomaly threshold: peaks over threshold (Siffer et al., 2017) on scores of data taken as normal."""
from __future__ import annotations

import numpy as np
from scipy import stats

MIN_SCORES_FOR_POT = 200
MIN_EXCESSES = 10


def pot_threshold(scores: np.ndarray, risk: float = 1e-3, initial_quantile: float = 0.98) -> float:
    """Score that normal data exceeds with probability ~`risk`, from a generalised Pareto fit of the tail.

    With too few scores for a tail fit, falls back to a margin above the largest score seen: a model trained on
    a few hundred rows should flag what is clearly beyond its training data, not a fixed share of it.
    """
    scores = np.sort(np.asarray(scores, dtype=np.float64)[np.isfinite(scores)])
    if len(scores) == 0:
        raise ValueError("no finite scores to calibrate a threshold on")
    top = scores[-1]
    if len(scores) < MIN_SCORES_FOR_POT:
        return float(top * 1.1 + 1e-6)
    u = float(np.quantile(scores, initial_quantile))
    excesses = scores[scores > u] - u
    if len(excesses) < MIN_EXCESSES or excesses.std() == 0:
        return float(max(u, top) * 1.1 + 1e-6)
    shape, _, scale = stats.genpareto.fit(excesses, floc=0.0)
    shape = float(np.clip(shape, -0.5, 0.5))  # a few excesses can suggest absurd tails either way
    r = risk * len(scores) / len(excesses)
    if abs(shape) < 1e-6:
        thr = u - scale * np.log(r)
    else:
        thr = u + scale / shape * (r ** -shape - 1.0)
    return float(max(thr, u + 1e-6))
