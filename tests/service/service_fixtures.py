"""Helpers of the service tests: isolated settings and a tiny OneTable dataset."""
from __future__ import annotations

import io
import uuid

import numpy as np
import pandas as pd

from service.settings import Settings

DATA_CONTAINER = "data"


def tiny_frame_csv(rows: int = 120, seed: int = 0) -> bytes:
    """A OneTable CSV: `rows` minutes of 3 correlated variables."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    table = pd.DataFrame({
        "timestamp": pd.date_range("2021-01-01", periods=rows, freq="min").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "series_0": np.sin(t / 5),
        "series_1": np.cos(t / 7),
        "series_2": np.sin(t / 5) + 0.1 * rng.standard_normal(rows),
    })
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def make_settings(connection_string: str, **overrides) -> Settings:
    prefix = "t" + uuid.uuid4().hex[:12]
    values = dict(storage_connection_string=connection_string, container_prefix=prefix, train_epochs=10,
                  epochs_per_chunk=5)
    values.update(overrides)
    return Settings(**values)


def train_body(data_url: str, **overrides) -> dict:
    body = {"dataSource": data_url, "dataSchema": "OneTable", "startTime": "2021-01-01T00:00:00Z",
            "endTime": "2021-01-01T01:59:00Z", "displayName": "tiny", "slidingWindow": 28,
            "alignPolicy": {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0}}
    body.update(overrides)
    return body
