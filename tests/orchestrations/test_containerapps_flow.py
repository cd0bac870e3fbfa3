"""Training through the Container Apps backend from end to end, with only the management API faked: the real
orchestrator under the local host's replay runner, the real activities and backend, a fake ARM that runs each
started execution as a real `python -m worker.main` process against Azurite, and one execution lost on the way."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import azure.durable_functions as df
import numpy as np
import pandas as pd
import pytest
from test_containerapps import FakeArm, container_apps_settings, make_backend

from devhost.replay import Instance, ReplayRunner
from orchestrations import compute, training
from service import models
from service.storage import MODELS, get_storage
from orchestration_fakes import indexed_functions

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = indexed_functions()

# The job's container here: the worker reaches Azurite by connection string (given below), not by identity.
LOCAL_WORKER = {"name": "worker", "image": "open-mvad/worker:test", "resources": {"cpu": 1.0, "memory": "2Gi"},
                "env": [{"name": "MVAD_COMPUTE_BACKEND", "value": "local"}]}


def _tiny_csv(rows: int = 120) -> bytes:
    t = np.arange(rows)
    table = pd.DataFrame({"timestamp": pd.date_range("2021-01-01", periods=rows, freq="min").strftime(
        "%Y-%m-%dT%H:%M:%SZ"), "a": np.sin(t / 5), "b": np.cos(t / 7), "c": np.sin(t / 3)})
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


class ProcessJobs:
    """Runs each started execution as a worker process; the first execution of `lose` never runs and fails."""

    def __init__(self, azurite: str, lose: str):
        self.azurite, self.lose = azurite, lose
        self.arm: FakeArm | None = None
        self.started: list[tuple[str, str]] = []  # (job name, execution name)
        self.processes: list[subprocess.Popen] = []

    def __call__(self, name: str, env: dict) -> None:
        self.started.append((env["MVAD_JOB_NAME"], name))
        if env["MVAD_JOB_NAME"] == self.lose and [j for j, _ in self.started].count(self.lose) == 1:
            self.arm.statuses[name] = "Failed"  # the replica's node went away before the job ran
            return
        process = subprocess.Popen([sys.executable, "-m", "worker.main"], cwd=ROOT, env={
            **os.environ, **env, "MVAD_STORAGE_CONNECTION_STRING": self.azurite, "PYTHONPATH": str(ROOT),
            "OMP_NUM_THREADS": "1"})
        self.processes.append(process)
        self.arm.statuses[name] = lambda: ("Running" if process.poll() is None else
                                           "Succeeded" if process.returncode == 0 else "Failed")


@pytest.mark.slow
def test_training_runs_as_job_executions_and_survives_a_lost_one(azurite, monkeypatch):
    settings = container_apps_settings(azurite, compute_backend="containerapps", train_epochs=2, epochs_per_chunk=2,
                                       container_apps_poll_seconds=1)
    storage = get_storage(settings)
    container = storage.blob_service.get_container_client(settings.container_prefix + "data")
    container.create_container()
    container.upload_blob("tiny.csv", _tiny_csv())
    body = {"dataSource": f"{storage.own_blob_endpoint}/{container.container_name}/tiny.csv",
            "dataSchema": "OneTable", "startTime": "2021-01-01T00:00:00Z", "endTime": "2021-01-01T01:59:00Z",
            "slidingWindow": 28, "alignPolicy": {"alignMode": "Outer", "fillNAMethod": "Linear"}}
    model_id = models.create_model(body, settings).model_id

    jobs = ProcessJobs(azurite, lose="train_chunk")
    jobs.arm = arm = FakeArm(LOCAL_WORKER, on_start=jobs)
    monkeypatch.setattr("service.settings.get_settings", lambda: settings)
    monkeypatch.setitem(compute._BACKENDS, "containerapps", lambda s: make_backend(s, arm))
    monkeypatch.setattr(compute, "FIRST_WAIT_SECONDS", 1)
    monkeypatch.setattr(training, "RETRY", df.RetryOptions(first_retry_interval_in_milliseconds=10,
                                                           max_number_of_attempts=3))

    runner = ReplayRunner(FUNCTIONS.orchestrators, FUNCTIONS.activities, lambda instance: None)
    instance = Instance(model_id, "train_model_orchestrator", json.dumps({"modelId": model_id}))
    try:
        runner.run(instance, threading.Event())
    finally:
        for process in jobs.processes:  # the outcome counts once written: a worker may still be exiting
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    assert instance.status == "Completed", instance.output
    assert instance.output == {"modelId": model_id, "status": "READY"}
    assert [job for job, _ in jobs.started] == ["prepare_training", "train_chunk", "train_chunk",
                                                "finalize_training"]
    assert all(process.returncode == 0 for process in jobs.processes)
    record = models.get_model(model_id, settings)
    assert record.status == "READY" and [s["variable"] for s in record.variable_states] == ["a", "b", "c"]
    blobs = sorted(b.name for b in storage.container(MODELS).list_blobs())
    assert blobs == [f"{model_id}/model.zip"]  # working files and every outcome blob are gone
