"""MvadModel: the scikit-learn-like face of the detector (fit, detect, detect_last, save, load)."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mvad_engine import artifact, limits
from mvad_engine.config import ModelConfig
from mvad_engine.errors import MvadError
from mvad_engine.frame import PreparedFrame
from mvad_engine.interpret import correlation_reference, interpretation, window_correlations
from mvad_engine.model import MtadGat
from mvad_engine.scoring import ScoreCalibration, residuals, score_rows, scores_from_residuals, to_service_scale
from mvad_engine.threshold import MIN_SCORES_FOR_POT, pot_threshold
from mvad_engine.timestamps import format_timestamp, parse_timestamp
from mvad_engine.train import Trainer, fit_normalization, normalize, split_targets

MIN_EXTRA_TRAINING_ROWS = 5        # training needs a few targets beyond the first full window
MAX_CALIBRATION_ROWS = 20_000      # the most recent validation rows used to set scales and threshold
SCORE_CHUNK_ROWS = 20_000
DEFAULT_ALIGN_POLICY = {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0}


def calibration_start(n_rows: int, cfg: ModelConfig) -> int:
    """First training row whose score sets the residual scales and the threshold: the latest validation rows."""
    _, val_targets = split_targets(n_rows, cfg)
    lo = max(cfg.sliding_window, int(val_targets[0]), n_rows - MAX_CALIBRATION_ROWS)
    if n_rows - lo < MIN_SCORES_FOR_POT:
        lo = max(cfg.sliding_window, n_rows - MAX_CALIBRATION_ROWS)  # small data: score every row we can
    return lo


@contextmanager
def cpu_threads(device: torch.device, n_variables: int):
    """Small networks run fastest on one CPU thread (more threads mostly wait on each other); wide ones get more."""
    before = torch.get_num_threads()
    if device.type == "cpu" and n_variables < 64:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class EpochReport:
    epoch: int
    train_loss: float
    validation_loss: float
    latency_seconds: float


class MvadModel:
    """Multivariate anomaly detector: MTAD-GAT forecasting + reconstruction, robust deviation score, POT threshold.

    Parameters are validated here, as the service validates a training request before accepting it.
    `progress`: show tqdm bars on stderr (default: only when stderr is a terminal).
    `config_overrides`: any other `ModelConfig` field (for experiments; the service uses the defaults).
    """

    def __init__(self, sliding_window: int = limits.DEFAULT_SLIDING_WINDOW, epochs: int = limits.DEFAULT_EPOCHS,
                 align_policy: dict | None = None, seed: int = 0, device: str | None = None,
                 progress: bool | None = None, **config_overrides):
        self.config = ModelConfig(sliding_window=sliding_window, epochs=epochs, seed=seed, **config_overrides).validate()
        self.align_policy = {**DEFAULT_ALIGN_POLICY, **(align_policy or {})}
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.variables: list[str] = []
        self.variable_states: list[dict] = []
        self.epochs_done = 0
        self.is_fitted = False
        self._history: list[EpochReport] = []
        self._net: MtadGat | None = None
        self._norm: dict | None = None
        self._calib: ScoreCalibration | None = None
        self._corr_ref: dict | None = None

    @property
    def sliding_window(self) -> int:
        return self.config.sliding_window

    @property
    def epochs(self) -> int:
        return self.config.epochs

    @property
    def model_state(self) -> dict:
        """The service's diagnosticsInfo.modelState: every 10th epoch (and the last one when training ended)."""
        kept = [r for r in self._history if r.epoch % 10 == 0 or r.epoch == self.config.epochs]
        return {
            "epochIds": [r.epoch for r in kept],
            "trainLosses": [r.train_loss for r in kept],
            "validationLosses": [r.validation_loss for r in kept],
            "latenciesInSeconds": [r.latency_seconds for r in kept],
        }

    # ------------------------------------------------------------------ training
    def fit(self, frame: PreparedFrame, on_epoch=None, checkpoint=None, stop_after_epochs: int | None = None):
        """Train on `frame`; resumes from `checkpoint` (a path) when it exists and writes it at the end of the call."""
        with cpu_threads(self.device, len(frame.variables)):
            return self._fit(frame, on_epoch, checkpoint, stop_after_epochs)

    def _fit(self, frame: PreparedFrame, on_epoch, checkpoint, stop_after_epochs):
        cfg = self.config
        if len(frame.variables) == 0:
            raise MvadError("NotEnoughInput", "The training data has no variables.")
        if len(frame) < cfg.sliding_window + MIN_EXTRA_TRAINING_ROWS:
            raise MvadError(
                "NotEnoughInput",
                f"Training needs at least slidingWindow + {MIN_EXTRA_TRAINING_ROWS} = "
                f"{cfg.sliding_window + MIN_EXTRA_TRAINING_ROWS} timestamps; the data has {len(frame)}.",
            )
        if stop_after_epochs is not None and stop_after_epochs < 1:
            raise MvadError("InvalidModelArgument", f"stop_after_epochs must be >= 1, got {stop_after_epochs!r}.")
        values = np.asarray(frame.values, dtype=np.float32)
        if not np.isfinite(values).all():
            raise MvadError("InvalidInputFormat", "The training data still holds missing or infinite values.")

        cfg.n_variables = len(frame.variables)
        self.variables, self.variable_states = list(frame.variables), list(frame.variable_states)
        self.is_fitted, self._calib, self._corr_ref = False, None, None
        resume = checkpoint is not None and Path(checkpoint).exists()
        if resume:
            trainer_state = self._load_checkpoint(checkpoint)
        else:
            self._norm = fit_normalization(values)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(cfg.seed)
                self._net = MtadGat(cfg)
            self.epochs_done, self._history = 0, []
        self._net.to(self.device)
        x = normalize(values, self._norm)
        trainer = Trainer(self._net, cfg, x, self.device)
        if resume:
            trainer.load_state_dict(trainer_state)

        last = cfg.epochs if stop_after_epochs is None else min(cfg.epochs, self.epochs_done + stop_after_epochs)
        for epoch in range(self.epochs_done + 1, last + 1):
            r = trainer.run_epoch(epoch)
            report = EpochReport(r.epoch, r.train_loss, r.validation_loss, r.latency_seconds)
            self._history.append(report)
            self.epochs_done = epoch
            if on_epoch is not None:
                on_epoch(report)
        if checkpoint is not None:
            self._save_checkpoint(checkpoint, trainer)
        if self.epochs_done == cfg.epochs:
            self._calibrate(x)
            self.is_fitted = True
        return self

    def _calibrate(self, x: torch.Tensor) -> None:
        """Residual scales and threshold from the validation rows; correlation reference from the training rows."""
        cfg = self.config
        train_targets, val_targets = split_targets(len(x), cfg)
        targets = torch.arange(calibration_start(len(x), cfg) - cfg.smoothing + 1, len(x))
        fore, rec = residuals(self._net, x, targets, cfg.context, self.progress)
        self._calib = ScoreCalibration.from_residuals(fore, rec)
        scores, _ = scores_from_residuals(x[targets].numpy(), fore, rec, self._calib, cfg)
        self._calib.threshold = pot_threshold(scores, cfg.pot_risk, cfg.pot_initial_quantile)
        train_end = int(val_targets[0]) if len(train_targets) else len(x)
        steps = min(cfg.correlation_steps, cfg.sliding_window)
        self._corr_ref = correlation_reference(x[:max(train_end, steps)], steps, seed=cfg.seed)

    # ------------------------------------------------------------------ detection
    def detect(self, frame: PreparedFrame, start=None, end=None, top_contributors: int = limits.DEFAULT_TOP_CONTRIBUTORS):
        """One result item per timestamp of `frame` in [start, end]; earlier rows serve as history."""
        top = self._check_top(top_contributors)
        x = self._prepare(frame)
        ts = frame.timestamps
        keep = np.ones(len(ts), dtype=bool)
        if start is not None:
            keep &= np.asarray(ts >= parse_timestamp(start, "startTime"))
        if end is not None:
            keep &= np.asarray(ts <= parse_timestamp(end, "endTime"))
        rows = np.flatnonzero(keep)
        if len(rows) > limits.MAX_DETECT_TIMESTAMPS:
            raise MvadError(
                "DataExceedsLimit",
                f"Detection covers {len(rows)} timestamps between startTime and endTime; the limit is "
                f"{limits.MAX_DETECT_TIMESTAMPS}.",
            )
        if len(rows) == 0:
            return []
        with cpu_threads(self.device, len(self.variables)):
            return self._results(x, ts, int(rows[0]), int(rows[-1]), top)

    def detect_last(self, frame: PreparedFrame, top_contributors: int = limits.DEFAULT_TOP_CONTRIBUTORS):
        """Results for the most recent timestamps (at most 10) that have a full window of history."""
        top = self._check_top(top_contributors)
        x = self._prepare(frame)
        lo = max(self.sliding_window, len(frame) - limits.MAX_LAST_RESULTS)
        with cpu_threads(self.device, len(self.variables)):
            return self._results(x, frame.timestamps, lo, len(frame) - 1, top)

    def score_frame(self, frame: PreparedFrame) -> np.ndarray:
        """Per-timestamp `score` (the service's value in [0, 2]) for every row of `frame`, any length.

        Rows without `sliding_window` rows before them are NaN. For evaluation on a test set that follows the
        training data, prepend the last `sliding_window` training rows to score every test row.
        """
        x = self._prepare(frame)
        out = np.full(len(frame), np.nan)
        with cpu_threads(self.device, len(self.variables)):
            for lo in range(self.sliding_window, len(frame), SCORE_CHUNK_ROWS):
                hi = min(lo + SCORE_CHUNK_ROWS, len(frame)) - 1
                raw, _ = score_rows(self._net, x, lo, hi, self._calib, self.config, progress=self.progress)
                out[lo:hi + 1] = to_service_scale(raw, self._calib.threshold)[0]
        return out

    anomaly_scores = score_frame  # the name the benchmark harness looks for

    def _check_top(self, top_contributors) -> int:
        self._require_fitted()
        if isinstance(top_contributors, bool) or not isinstance(top_contributors, (int, np.integer)) or top_contributors < 1:
            raise MvadError("InvalidTopContributorCount", f"topContributorCount must be an integer >= 1, got {top_contributors!r}.")
        return min(int(top_contributors), len(self.variables))

    def _require_fitted(self) -> None:
        if not self.is_fitted:
            raise MvadError("ModelNotReady", "The model has not finished training.")

    def _prepare(self, frame: PreparedFrame) -> torch.Tensor:
        """Check the variables, put them in the model's order, check the length, normalise."""
        self._require_fitted()
        got, want = list(frame.variables), self.variables
        if set(got) != set(want) or len(got) != len(want):
            missing = [v for v in want if v not in got]
            extra = [v for v in got if v not in want]
            raise MvadError(
                "InvalidVariables",
                "The data's variables differ from the model's: "
                + "; ".join(p for p in (f"missing {missing}" if missing else "", f"not in the model {extra}" if extra else "") if p)
                + ("" if missing or extra else "; duplicated variable names"),
            )
        if len(frame) < self.sliding_window + 1:
            raise MvadError(
                "NotEnoughInput",
                f"Detection needs at least slidingWindow + 1 = {self.sliding_window + 1} timestamps; "
                f"the data has {len(frame)}.",
            )
        values = np.asarray(frame.values, dtype=np.float32)
        if got != want:
            values = values[:, [got.index(v) for v in want]]
        if not np.isfinite(values).all():
            raise MvadError("InvalidInputFormat", "The inference data still holds missing or infinite values.")
        return normalize(values, self._norm)

    def _results(self, x: torch.Tensor, timestamps: pd.DatetimeIndex, lo: int, hi: int, top: int) -> list[dict]:
        w = self.sliding_window
        items = [{"timestamp": format_timestamp(timestamps[i]),
                  "errors": [{"code": "InsufficientHistoricalData", "message": "historical data is not enough."}]}
                 for i in range(lo, min(hi + 1, w))]
        lo = max(lo, w)
        if lo > hi:
            return items
        raw, contrib = score_rows(self._net, x, lo, hi, self._calib, self.config, with_contributions=True,
                                  progress=self.progress)
        score, anomalous, severity = to_service_scale(raw, self._calib.threshold)
        steps = min(self.config.correlation_steps, w)
        flagged = np.flatnonzero(anomalous)
        explained = {}
        for c in range(0, len(flagged), 256):  # (n, V, V) correlation blocks stay small
            part = flagged[c:c + 256]
            corr = window_correlations(x, torch.as_tensor(lo + part), steps).numpy()
            for k, j in enumerate(part):
                explained[j] = interpretation(self.variables, contrib[j], corr[k], self._corr_ref, top,
                                              self.config.correlation_min_change)
        for j in range(hi - lo + 1):
            value = {"isAnomaly": bool(anomalous[j]), "severity": float(severity[j]), "score": float(score[j])}
            if j in explained:
                value["interpretation"] = explained[j]
            items.append({"timestamp": format_timestamp(timestamps[lo + j]), "value": value, "errors": []})
        return items

    # ------------------------------------------------------------------ model file and checkpoint
    def save(self, file) -> None:
        """Write the fitted model as one versioned zip to a path or binary file object."""
        self._require_fitted()
        artifact.write(file, "model", self._json_state(), {
            "weights": self._net.state_dict(),
            "fitted": self._fitted_tensors(),
        })

    @classmethod
    def load(cls, file, device: str | None = None, progress: bool | None = None) -> "MvadModel":
        """Read a model written by `save` from a path, binary file object or bytes."""
        parts, tensors = artifact.read(file, "model")
        model = cls._from_parts(parts, tensors, device, progress)
        try:
            model._net.load_state_dict(tensors["weights"])
            f = tensors["fitted"]
            model._calib = ScoreCalibration(f["forecast_scale"].numpy(), f["recon_scale"].numpy(),
                                            float(parts["state"]["threshold"]))
            model._corr_ref = {"mean": f["corr_mean"].numpy(), "spread": f["corr_spread"].numpy()}
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise MvadError("InvalidModelFile", f"The model file misses or garbles a part: {exc!r}") from exc
        model.is_fitted = True
        return model

    @classmethod
    def _from_parts(cls, parts: dict, tensors: dict, device, progress) -> "MvadModel":
        try:
            cfg = ModelConfig.from_dict(parts["config"])
            state = parts["state"]
            model = cls(cfg.sliding_window, cfg.epochs, state["alignPolicy"], cfg.seed, device, progress)
            model.config = cfg
            model.variables, model.variable_states = state["variables"], state["variableStates"]
            model.epochs_done = state["epochsDone"]
            model._history = [EpochReport(*r) for r in state["history"]]
            model._norm = {"mean": tensors["fitted"]["mean"].numpy(), "scale": tensors["fitted"]["scale"].numpy()}
            with torch.random.fork_rng(devices=[]):
                model._net = MtadGat(cfg).to(model.device)
        except (KeyError, TypeError, ValueError) as exc:
            raise MvadError("InvalidModelFile", f"The model file misses or garbles a part: {exc!r}") from exc
        return model

    def _json_state(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "state": {
                "variables": self.variables,
                "variableStates": self.variable_states,
                "alignPolicy": self.align_policy,
                "epochsDone": self.epochs_done,
                "history": [[r.epoch, r.train_loss, r.validation_loss, r.latency_seconds] for r in self._history],
                "modelState": self.model_state,
                "threshold": self._calib.threshold if self._calib else None,
            },
        }

    def _fitted_tensors(self) -> dict:
        t = {"mean": torch.from_numpy(self._norm["mean"]), "scale": torch.from_numpy(self._norm["scale"])}
        if self._calib is not None:
            t.update(forecast_scale=torch.from_numpy(self._calib.forecast_scale),
                     recon_scale=torch.from_numpy(self._calib.recon_scale),
                     corr_mean=torch.from_numpy(self._corr_ref["mean"]),
                     corr_spread=torch.from_numpy(self._corr_ref["spread"]))
        return t

    def _save_checkpoint(self, path, trainer: Trainer) -> None:
        tmp = Path(f"{path}.tmp")
        artifact.write(tmp, "checkpoint", self._json_state(), {"trainer": trainer.state_dict(),
                                                                "fitted": self._fitted_tensors()})
        tmp.replace(path)  # never leave a half-written checkpoint behind

    def _load_checkpoint(self, path) -> dict:
        parts, tensors = artifact.read(path, "checkpoint")
        saved = self._from_parts(parts, tensors, str(self.device), self.progress)
        mine, theirs = self.config.to_dict(), saved.config.to_dict()
        if mine != theirs or saved.variables != self.variables:
            diff = {k: (theirs.get(k), v) for k, v in mine.items() if theirs.get(k) != v}
            raise MvadError("InvalidCheckpoint", f"The checkpoint '{path}' belongs to another training run "
                                                 f"(settings differ: {diff or 'variables'}).")
        self._net, self._norm = saved._net, saved._norm
        self.epochs_done, self._history = saved.epochs_done, saved._history
        return tensors["trainer"]
