"""The dev benchmark series: SMD machines, ASD entities, SKAB experiments.

Only the benchmark reads the shared data folder ($MVAD_DATA_DIR, default <repo>/../shared/data). Runs under both the
main .venv (pandas 3) and .venv-bench (pandas 2), so it uses nothing version-specific.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("MVAD_DATA_DIR", REPO.parent / "shared" / "data"))

SMD_MACHINES = [f"machine-1-{i}" for i in range(2, 9)]
ASD_ENTITIES = [f"omi-{i}" for i in range(1, 5)]
SKAB_FILES = ["valve1/0", "valve1/1", "valve1/2", "valve1/3", "valve2/0", "other/1", "other/5", "other/10", "other/13"]
SKAB_SENSORS = ["Accelerometer1RMS", "Accelerometer2RMS", "Current", "Pressure", "Temperature", "Thermocouple",
                "Voltage", "Volume Flow RateRMS"]

DATASETS = ("smd", "asd", "skab")
# Sampling step of each dataset; the bench gives every row a regular synthetic timestamp at this step.
FREQ = {"smd": "1min", "asd": "5min", "skab": "1s"}
# SMD and ASD test sets continue their train series, so window methods may read the train tail as history;
# SKAB experiments are separate recordings, so their first window has none (scores there take the first valid one).
CONTINUES_TRAIN = {"smd": True, "asd": True, "skab": False}
# SKAB has one train file (anomaly-free) for all experiments: one model per dataset, not per series.
SHARED_TRAIN = {"smd": False, "asd": False, "skab": True}


@dataclass
class Series:
    dataset: str
    name: str
    columns: list[str]
    train: np.ndarray  # (T_train, V) float64
    test: np.ndarray  # (T_test, V) float64
    labels: np.ndarray  # (T_test,) int 0/1

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.name}"

    def history(self, rows: int) -> np.ndarray:
        """Up to `rows` rows of context that precede the test set (empty where the test set stands alone)."""
        if not CONTINUES_TRAIN[self.dataset] or rows <= 0:
            return self.train[:0]
        return self.train[-rows:]


def series_names(dataset: str) -> list[str]:
    return {"smd": SMD_MACHINES, "asd": ASD_ENTITIES, "skab": SKAB_FILES}[dataset]


def load(dataset: str, name: str) -> Series:
    if dataset in ("smd", "asd"):
        root = DATA_DIR / dataset
        train = np.loadtxt(root / "train" / f"{name}.txt.gz", delimiter=",", ndmin=2)
        test = np.loadtxt(root / "test" / f"{name}.txt.gz", delimiter=",", ndmin=2)
        labels = np.loadtxt(root / "test_label" / f"{name}.txt", delimiter=",").astype(int)
        columns = [f"v{i:02d}" for i in range(train.shape[1])]
    elif dataset == "skab":
        root = DATA_DIR / "skab"
        train = _read_skab(root / "anomaly-free" / "anomaly-free.csv")[SKAB_SENSORS].to_numpy(float)
        frame = _read_skab(root / f"{name}.csv")
        test = frame[SKAB_SENSORS].to_numpy(float)
        labels = frame["anomaly"].to_numpy().astype(int)
        columns = list(SKAB_SENSORS)
    else:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
    if len(labels) != len(test):
        raise ValueError(f"{dataset}/{name}: {len(labels)} labels for {len(test)} test rows")
    return Series(dataset, name, columns, train, test, labels)


def iter_series(datasets=DATASETS, quick: bool = False):
    for dataset in datasets:
        names = series_names(dataset)
        for name in names[:1] if quick else names:
            yield load(dataset, name)


def timestamps(dataset: str, rows: int, start: str = "2020-01-01T00:00:00Z") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=rows, freq=FREQ[dataset])


def _read_skab(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";")
