"""Detection by file drop on the running local host: a CSV in inbox/{modelId}/ comes back as outbox/{modelId}/*.json
(the body of GET detect-batch/{resultId}), a bad one as *.error.json. A tiny model (120 minutes, 3 variables,
window 28) is trained through the API first."""
from __future__ import annotations

import io
import json
import time
import uuid

import numpy as np
import pandas as pd
import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient
from e2e_helpers import API_KEY

pytestmark = pytest.mark.e2e
KEY = {"Ocp-Apim-Subscription-Key": API_KEY}


def _csv(variables=("series_0", "series_1", "series_2"), rows: int = 120) -> bytes:
    t = np.arange(rows)
    table = pd.DataFrame({"timestamp": pd.date_range("2021-01-01", periods=rows, freq="min")
                          .strftime("%Y-%m-%dT%H:%M:%SZ")})
    for i, name in enumerate(variables):
        table[name] = np.sin(t / (5 + i)) + 0.05 * np.random.default_rng(i).standard_normal(rows)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


@pytest.fixture(scope="module")
def api(endpoint) -> str:
    return f"{endpoint}/anomalydetector/v1.1/multivariate"


@pytest.fixture(scope="module")
def storage(azurite) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(azurite)


@pytest.fixture(scope="module")
def model_id(api, storage, prefix) -> str:
    """A READY tiny model, trained through the API on a CSV in the local storage account."""
    container = storage.create_container(f"{prefix}-inbox-data")
    blob = container.upload_blob("tiny.csv", _csv())
    body = {"dataSource": blob.url, "dataSchema": "OneTable", "startTime": "2021-01-01T00:00:00Z",
            "endTime": "2021-01-01T01:59:00Z", "slidingWindow": 28, "displayName": "inbox",
            "alignPolicy": {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0}}
    created = requests.post(f"{api}/models", json=body, headers=KEY, timeout=30)
    assert created.status_code == 201, created.text
    model = created.json()["modelId"]
    deadline = time.monotonic() + 120
    while (status := requests.get(f"{api}/models/{model}", headers=KEY, timeout=30).json()["modelInfo"]["status"]) \
            not in ("READY", "FAILED"):
        assert time.monotonic() < deadline, f"model {model} still {status}"
        time.sleep(0.5)
    assert status == "READY"
    return model


def _drop(storage, prefix: str, name: str, data: bytes) -> None:
    container = storage.get_container_client(f"{prefix}inbox")
    try:
        container.create_container()
    except Exception:  # exists already
        pass
    container.upload_blob(name, data, overwrite=True)


def _wait_for_outbox(storage, prefix: str, names: list[str], timeout: float = 60) -> dict:
    """{name: parsed JSON} once every one of ``names`` is in the outbox."""
    container = storage.get_container_client(f"{prefix}outbox")
    found, deadline = {}, time.monotonic() + timeout
    while len(found) < len(names):
        for name in set(names) - set(found):
            try:
                found[name] = json.loads(container.download_blob(name).readall())
            except ResourceNotFoundError:
                pass
        assert time.monotonic() < deadline, f"still missing from the outbox: {set(names) - set(found)}"
        time.sleep(0.3)
    return found


def test_a_csv_in_the_inbox_is_detected_into_the_outbox(api, storage, prefix, model_id):
    _drop(storage, prefix, f"{model_id}/x.csv", _csv())
    body = _wait_for_outbox(storage, prefix, [f"{model_id}/x.json"])[f"{model_id}/x.json"]
    assert body["summary"]["status"] == "READY", body["summary"]
    setup = body["summary"]["setupInfo"]
    assert (setup["startTime"], setup["endTime"]) == ("2021-01-01T00:00:00Z", "2021-01-01T01:59:00Z")
    assert setup["dataSource"].endswith(f"/{prefix}inbox/{model_id}/x.csv")
    assert len(body["results"]) == 120
    assert body["results"][0]["errors"][0]["code"] == "InsufficientHistoricalData"
    assert "value" in body["results"][-1] and body["results"][-1]["errors"] == []
    answer = requests.get(f"{api}/detect-batch/{body['resultId']}", headers=KEY, timeout=30)
    assert answer.status_code == 200 and answer.json() == body


def test_bad_files_get_error_files(api, storage, prefix, model_id):
    unknown = str(uuid.uuid4())
    _drop(storage, prefix, f"{model_id}/bad.csv", _csv(variables=("series_0", "series_1")))  # a variable short
    _drop(storage, prefix, f"{unknown}/x.csv", _csv())
    errors = _wait_for_outbox(storage, prefix, [f"{model_id}/bad.error.json", f"{unknown}/x.error.json"])

    failed = errors[f"{model_id}/bad.error.json"]
    assert failed["code"] == "InvalidVariables" and "series_2" in failed["message"]
    result = requests.get(f"{api}/detect-batch/{failed['resultId']}", headers=KEY, timeout=30).json()
    assert result["summary"]["status"] == "FAILED"
    assert result["summary"]["errors"] == [{"code": failed["code"], "message": failed["message"]}]

    assert errors[f"{unknown}/x.error.json"]["code"] == "ModelNotExist"
    assert "resultId" not in errors[f"{unknown}/x.error.json"]
