"""A host stopped in the middle of a training resumes it when it starts again (replaying its saved history)."""
from __future__ import annotations

import socket
import time
import uuid

import pytest
import requests
from e2e_helpers import API_KEY, TRAIN_END, TRAIN_START

from devhost import stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # two host starts and a training: ~30 s


def _status(endpoint: str, instance_id: str) -> dict:
    return requests.get(f"{endpoint}/runtime/webhooks/durabletask/instances/{instance_id}", timeout=10).json()


def test_training_resumes_after_a_restart(azurite, blobs, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    env = {"MVAD_API_KEY": API_KEY, "MVAD_TRAIN_EPOCHS": "4", "MVAD_EPOCHS_PER_CHUNK": "2",
           "MVAD_CONTAINER_PREFIX": "rs" + uuid.uuid4().hex[:8], "MVAD_STORAGE_CONNECTION_STRING": azurite}
    api = f"{endpoint}/anomalydetector/v1.1/multivariate/models"
    headers = {"Ocp-Apim-Subscription-Key": API_KEY}

    host = stack.start_host(port, env=env, log_file=tmp_path / "first.log")
    try:
        body = {"dataSource": blobs["OneTable"], "dataSchema": "OneTable", "startTime": TRAIN_START,
                "endTime": TRAIN_END, "slidingWindow": 200}
        model_id = requests.post(api, json=body, headers=headers, timeout=30).json()["modelId"]
        deadline = time.monotonic() + 120
        while (_status(endpoint, model_id).get("customStatus") or {}).get("epochsDone", 0) < 2:
            assert time.monotonic() < deadline, "the first chunk did not finish"
            time.sleep(0.2)
    finally:
        stack.stop(host)
    assert host.returncode == 0

    host = stack.start_host(port, env=env, log_file=tmp_path / "second.log")
    try:
        deadline = time.monotonic() + 180
        while (model := requests.get(f"{api}/{model_id}", headers=headers, timeout=30).json())["modelInfo"][
                "status"] not in ("READY", "FAILED"):
            assert time.monotonic() < deadline, f"training did not finish after the restart: {model}"
            time.sleep(0.5)
        assert model["modelInfo"]["status"] == "READY", model["modelInfo"]["errors"]
        assert model["modelInfo"]["diagnosticsInfo"]["modelState"]["epochIds"][-1] == 4
        history = requests.get(f"{endpoint}/runtime/webhooks/durabletask/instances/{model_id}?showHistory=true",
                               timeout=10).json()["historyEvents"]
    finally:
        stack.stop(host)
    second_log = (tmp_path / "second.log").read_text()
    assert f"resuming train_model_orchestrator {model_id}" in second_log
    # The first host's finished steps were replayed, not run again.
    assert "prepare_training" not in second_log and '"untilEpoch": 2}' not in second_log
    scheduled = [e["Name"] for e in history if e["EventType"] == 4]  # TaskScheduled
    assert scheduled == ["prepare_training", "train_chunk", "train_chunk", "finalize_training"]
