"""The stack a fuzzing run talks to: Azurite (reused when it listens), the local host on a free port with tiny
training, isolated by a fresh container prefix, and a READY model and batch result to aim ids at."""
from __future__ import annotations

import contextlib
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import requests
from azure.storage.blob import BlobServiceClient

from devhost import stack
from service.settings import AZURITE_CONNECTION_STRING

API = "/anomalydetector/v1.1"
START, END = "2021-01-01T00:00:00Z", "2021-01-01T01:59:00Z"


@dataclass
class LocalStack:
    base_url: str
    key: str
    model_id: str
    result_id: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tiny_csv(rows: int = 120) -> bytes:
    t = np.arange(rows)
    table = pd.DataFrame({
        "timestamp": pd.date_range("2021-01-01", periods=rows, freq="min").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "series_0": np.sin(t / 5), "series_1": np.cos(t / 7), "series_2": np.sin(t / 3)})
    return table.to_csv(index=False).encode()


def _wait(get, done, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while True:
        answer = get()
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            raise TimeoutError(f"still waiting after {timeout:.0f} s: {answer}")
        time.sleep(0.3)


@contextlib.contextmanager
def local_stack(port: int = 0, log_file: Path | None = None):
    azurite = None if stack.azurite_up() else stack.start_azurite(Path(tempfile.mkdtemp(prefix="mvad-fuzz-azurite-")))
    prefix = "fz" + uuid.uuid4().hex[:8]
    key = "fuzz-" + uuid.uuid4().hex[:12]
    port = port or _free_port()
    env = {"MVAD_API_KEY": key, "MVAD_TRAIN_EPOCHS": "1", "MVAD_EPOCHS_PER_CHUNK": "1", "MVAD_CONTAINER_PREFIX": prefix,
           "MVAD_STORAGE_CONNECTION_STRING": AZURITE_CONNECTION_STRING, "MVAD_DEVHOST_MAX_TRAININGS": "1"}
    log_file = log_file or Path(tempfile.mkdtemp(prefix="mvad-fuzz-host-")) / "host.log"
    host = stack.start_host(port, env=env, log_file=log_file, timeout=120)
    try:
        if host is None:
            raise RuntimeError(f"port {port} already serves a host; fuzzing needs its own")
        base = f"http://127.0.0.1:{port}{API}"
        container = BlobServiceClient.from_connection_string(AZURITE_CONNECTION_STRING).create_container(
            f"{prefix}-data")
        blob = container.upload_blob("tiny.csv", tiny_csv())
        headers = {"Ocp-Apim-Subscription-Key": key}
        body = {"dataSource": blob.url, "startTime": START, "endTime": END, "slidingWindow": 28}
        model_id = requests.post(f"{base}/multivariate/models", json=body, headers=headers, timeout=60).json()["modelId"]
        _wait(lambda: requests.get(f"{base}/multivariate/models/{model_id}", headers=headers, timeout=60).json(),
              lambda m: m["modelInfo"]["status"] in ("READY", "FAILED"))
        detect = {"dataSource": blob.url, "startTime": "2021-01-01T01:00:00Z", "endTime": END}
        result_id = requests.post(f"{base}/multivariate/models/{model_id}:detect-batch", json=detect,
                                  headers=headers, timeout=60).json()["resultId"]
        _wait(lambda: requests.get(f"{base}/multivariate/detect-batch/{result_id}", headers=headers, timeout=60).json(),
              lambda r: r["summary"]["status"] in ("READY", "FAILED"))
        yield LocalStack(base, key, model_id, result_id)
    finally:
        stack.stop(host)
        stack.stop(azurite)
