"""What the SDK does not check: status codes and headers on the wire, with a plain HTTP client."""
from __future__ import annotations

import time

import pytest
import requests

from e2e_helpers import API_KEY, DETECT_END, DETECT_START

pytestmark = pytest.mark.e2e
KEY = {"Ocp-Apim-Subscription-Key": API_KEY}


@pytest.fixture(scope="module")
def api(endpoint) -> str:
    return f"{endpoint}/anomalydetector/v1.1/multivariate"


def _train_json(data_source: str) -> dict:
    return {"dataSource": data_source, "dataSchema": "OneTable", "startTime": "2021-01-01T00:00:00Z",
            "endTime": "2021-01-02T09:19:00Z", "slidingWindow": 200, "displayName": "http",
            "alignPolicy": {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0}}


def test_train_answers_201_with_location_and_delete_204(api, blobs, endpoint):
    response = requests.post(f"{api}/models", json=_train_json(blobs["OneTable"]), headers=KEY)
    assert response.status_code == 201, response.text
    model_id = response.json()["modelId"]
    assert response.headers["Location"] == f"{api}/models/{model_id}"
    assert requests.get(response.headers["Location"], headers=KEY).json()["modelId"] == model_id

    deleted = requests.delete(f"{api}/models/{model_id}", headers=KEY)
    assert deleted.status_code == 204 and deleted.content == b""
    assert requests.get(f"{api}/models/{model_id}", headers=KEY).status_code == 404
    # The training orchestration stopped with the model (terminated, or finished as deleted).
    deadline = time.monotonic() + 60
    while True:
        status = requests.get(f"{endpoint}/runtime/webhooks/durabletask/instances/{model_id}").json()
        if status["runtimeStatus"] not in ("Pending", "Running") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status["runtimeStatus"] in ("Terminated", "Completed"), status


def test_detect_batch_answers_202_with_operation_headers(api, trained_models, blobs):
    body = {"dataSource": blobs["OneTable"], "topContributorCount": 10, "startTime": DETECT_START,
            "endTime": DETECT_END}
    response = requests.post(f"{api}/models/{trained_models['OneTable']}:detect-batch", json=body, headers=KEY)
    assert response.status_code == 202, response.text
    result_id = response.json()["resultId"]
    assert response.headers["Operation-Id"] == result_id
    assert response.headers["Operation-Location"] == f"{api}/detect-batch/{result_id}"
    assert requests.get(response.headers["Operation-Location"], headers=KEY).status_code == 200


@pytest.mark.parametrize("method, path", [("GET", "/models"), ("POST", "/models"), ("GET", "/models/x"),
                                          ("DELETE", "/models/x"), ("GET", "/detect-batch/x")])
def test_requests_without_the_key_are_401(api, method, path):
    response = requests.request(method, f"{api}{path}", json={})
    assert response.status_code == 401
    assert response.headers["x-ms-error-code"] == response.json()["code"]
    wrong = requests.request(method, f"{api}{path}", json={}, headers={"Ocp-Apim-Subscription-Key": "wrong"})
    assert wrong.status_code == 401


def test_errors_carry_code_message_and_header(api):
    missing = requests.get(f"{api}/models/00000000-0000-0000-0000-000000000000", headers=KEY)
    assert missing.status_code == 404
    body = missing.json()
    assert set(body) >= {"code", "message"} and missing.headers["x-ms-error-code"] == body["code"]

    bad = requests.post(f"{api}/models", json={"dataSource": "not a url"}, headers=KEY)
    assert 400 <= bad.status_code < 500
    assert bad.headers["x-ms-error-code"] == bad.json()["code"]
