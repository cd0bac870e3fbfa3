"""Helpers of the worker tests: the worker's environment against Azurite, a tiny dataset and a model record."""
from __future__ import annotations

import io
import uuid

import numpy as np
import pandas as pd

from service import models
from service.settings import Settings
from service.storage import get_storage

ROWS, WINDOW, EPOCHS = 120, 28, 2


def worker_env(azurite: str) -> dict[str, str]:
    """The service settings a job execution gets, isolated by a fresh container prefix."""
    return {"MVAD_STORAGE_CONNECTION_STRING": azurite, "MVAD_CONTAINER_PREFIX": "w" + uuid.uuid4().hex[:12],
            "MVAD_TRAIN_EPOCHS": str(EPOCHS), "MVAD_EPOCHS_PER_CHUNK": "10"}


def tiny_csv(rows: int = ROWS) -> bytes:
    """OneTable CSV: `rows` minutes of 3 correlated variables."""
    t = np.arange(rows)
    noise = np.random.default_rng(7).standard_normal(rows)
    table = pd.DataFrame({
        "timestamp": pd.date_range("2021-01-01", periods=rows, freq="min").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "a": np.sin(t / 5), "b": np.cos(t / 7), "c": np.sin(t / 5) + 0.1 * noise})
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def upload_data(settings: Settings, name: str = "tiny.csv") -> str:
    """The URL of the tiny CSV in a user container of the app's own (Azurite) account."""
    storage = get_storage(settings)
    container = storage.blob_service.get_container_client(settings.container_prefix + "data")
    if not container.exists():
        container.create_container()
    container.upload_blob(name, tiny_csv(), overwrite=True)
    return f"{storage.own_blob_endpoint}/{container.container_name}/{name}"


def create_model(settings: Settings, data_url: str) -> str:
    body = {"dataSource": data_url, "dataSchema": "OneTable", "startTime": "2021-01-01T00:00:00Z",
            "endTime": "2021-01-01T01:59:00Z", "slidingWindow": WINDOW,
            "alignPolicy": {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0}}
    return models.create_model(body, settings).model_id
