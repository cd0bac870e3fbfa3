"""detect-batch (202 + Operation headers, then the result) and detect-last (200, synchronous)."""
import io
import uuid

import pandas as pd
import pytest
from api_fixtures import BASE, assert_error, body_json, tiny_csv, train_body

from service import jobs, models


def batch_body(data_url, **overrides):
    return {"dataSource": data_url, "topContributorCount": 3, "startTime": "2021-01-01T01:00:00Z",
            "endTime": "2021-01-01T01:19:00Z", **overrides}


def last_body(rows=40, names=("series_0", "series_1", "series_2"), **overrides):
    table = pd.read_csv(io.BytesIO(tiny_csv()))
    tail = table.tail(rows)
    return {"variables": [{"variable": n, "timestamps": tail["timestamp"].tolist(), "values": tail[n].tolist()}
                          for n in names], "topContributorCount": 2, **overrides}


def test_detect_batch_accepts_then_serves_the_result(app, ready_model_id, data_url):
    response = app.call("POST", f"multivariate/models/{ready_model_id}:detect-batch",
                        batch_body(data_url + "?sig=SECRET"))
    assert response.status_code == 202
    answer = body_json(response)
    result_id = str(uuid.UUID(answer["resultId"]))
    assert response.headers["Operation-Id"] == result_id
    assert response.headers["Operation-Location"] == f"{BASE}/multivariate/detect-batch/{result_id}"
    assert answer == {"resultId": result_id, "results": [], "summary": {
        "status": "CREATED", "errors": [], "variableStates": [],
        "setupInfo": {"dataSource": data_url, "topContributorCount": 3, "startTime": "2021-01-01T01:00:00Z",
                      "endTime": "2021-01-01T01:19:00Z"}}}
    assert "SECRET" not in response.get_body().decode()
    assert app.client.started_inputs() == [("detect_batch_orchestrator", result_id, {"resultId": result_id})]
    pending = body_json(app.call("GET", f"multivariate/detect-batch/{result_id}"))
    assert pending["summary"]["status"] == "CREATED" and pending["results"] == []

    jobs.run_batch_detection(result_id)  # what the orchestration's activity does
    done = body_json(app.call("GET", f"multivariate/detect-batch/{result_id}"))
    assert done["summary"]["status"] == "READY" and len(done["summary"]["variableStates"]) == 3
    assert len(done["results"]) == 20
    assert done["results"][0]["timestamp"] == "2021-01-01T01:00:00Z"
    assert all(set(r["value"]) >= {"isAnomaly", "severity", "score"} for r in done["results"])


def test_detect_batch_defaults_and_validation(app, ready_model_id, data_url):
    body = batch_body(data_url)
    del body["topContributorCount"]
    answer = body_json(app.call("POST", f"multivariate/models/{ready_model_id}:detect-batch", body))
    assert answer["summary"]["setupInfo"]["topContributorCount"] == 10
    path = f"multivariate/models/{ready_model_id}:detect-batch"
    assert_error(app.call("POST", path, batch_body(data_url, startTime=None)), 400, "RequiredStartTime")
    assert_error(app.call("POST", path, batch_body(data_url, topContributorCount=0)), 400, "InvalidTopContributorCount")
    assert_error(app.call("POST", path, batch_body("https://elsewhere.example/data/x.csv")), 400, "InvalidBlobURL")
    assert_error(app.call("POST", path, raw=b"{"), 400, "InvalidJsonFormat")


def test_detect_batch_needs_an_existing_ready_model(app, data_url):
    assert_error(app.call("POST", f"multivariate/models/{uuid.uuid4()}:detect-batch", batch_body(data_url)),
                 404, "ModelNotExist")
    model_id = body_json(app.call("POST", "multivariate/models", train_body(data_url)))["modelId"]
    assert_error(app.call("POST", f"multivariate/models/{model_id}:detect-batch", batch_body(data_url)),
                 400, "ModelNotReady")
    jobs.fail_model(model_id, "NotEnoughInput", "Not enough data.")
    assert_error(app.call("POST", f"multivariate/models/{model_id}:detect-batch", batch_body(data_url)),
                 400, "ModelFailed")
    failed = body_json(app.call("GET", f"multivariate/models/{model_id}"))["modelInfo"]
    assert failed["status"] == "FAILED" and failed["errors"] == [{"code": "NotEnoughInput", "message": "Not enough data."}]
    assert all(name != "detect_batch_orchestrator" for name, *_ in app.client.started)


def test_unknown_results_do_not_exist(app):
    assert_error(app.call("GET", f"multivariate/detect-batch/{uuid.uuid4()}"), 404, "ResultNotExist")
    assert_error(app.call("GET", "multivariate/detect-batch/not-a-uuid"), 404, "ResultNotExist")


def test_detect_last_answers_synchronously(app, ready_model_id):
    response = app.call("POST", f"multivariate/models/{ready_model_id}:detect-last", last_body())
    assert response.status_code == 200
    answer = body_json(response)
    assert sorted(s["variable"] for s in answer["variableStates"]) == ["series_0", "series_1", "series_2"]
    assert [r["timestamp"] for r in answer["results"]] == [f"2021-01-01T01:{m}:00Z" for m in range(50, 60)]
    assert all(len(r["value"].get("interpretation", [])) <= 2 for r in answer["results"])
    # the loaded model is cached by id and record version
    assert any(key[0] == ready_model_id for key in models.model_cache(8)._items)
    again = body_json(app.call("POST", f"multivariate/models/{ready_model_id}:detect-last", last_body()))
    assert again == answer


@pytest.mark.parametrize("body, code", [
    ({}, "RequiredVariables"), ({"variables": "x"}, "InvalidVariables"),
    ({"variables": [{"variable": "a"}]}, "InvalidVariables"),
    (last_body(topContributorCount=-1), "InvalidTopContributorCount"),
])
def test_detect_last_validation(app, ready_model_id, body, code):
    assert_error(app.call("POST", f"multivariate/models/{ready_model_id}:detect-last", body), 400, code)


def test_detect_last_data_errors_come_from_the_engine(app, ready_model_id):
    response = app.call("POST", f"multivariate/models/{ready_model_id}:detect-last", last_body(names=("series_0", "series_1")))
    assert response.status_code == 400 and body_json(response)["code"] == response.headers["x-ms-error-code"]


def test_detect_last_limits_and_model_state(app, data_url):
    big = {"variables": [{"variable": "a", "timestamps": ["2021-01-01T00:00:00Z"] * 400_000,
                          "values": [0.5] * 400_000}]}
    assert_error(app.call("POST", f"multivariate/models/{uuid.uuid4()}:detect-last", big), 413, "RequestEntityTooLarge")
    assert_error(app.call("POST", f"multivariate/models/{uuid.uuid4()}:detect-last", last_body()), 404, "ModelNotExist")
    # detect-last accepts bodies up to 10 MB (other routes stop at 1 MB)
    medium = {"variables": [{"variable": "a", "timestamps": ["2021-01-01T00:00:00Z"] * 80_000, "values": [0.5] * 80_000}]}
    assert_error(app.call("POST", f"multivariate/models/{uuid.uuid4()}:detect-last", medium), 404, "ModelNotExist")
    assert_error(app.call("POST", f"multivariate/models/{uuid.uuid4()}:detect-batch", medium), 413, "RequestEntityTooLarge")
    model_id = body_json(app.call("POST", "multivariate/models", train_body(data_url)))["modelId"]
    assert_error(app.call("POST", f"multivariate/models/{model_id}:detect-last", last_body()), 400, "ModelNotReady")


def test_a_deleted_model_is_never_served_from_the_cache(app, data_url):
    from api_fixtures import run_training

    model_id = body_json(app.call("POST", "multivariate/models", train_body(data_url)))["modelId"]
    run_training(model_id)
    assert app.call("POST", f"multivariate/models/{model_id}:detect-last", last_body()).status_code == 200
    assert app.call("DELETE", f"multivariate/models/{model_id}").status_code == 204
    assert_error(app.call("POST", f"multivariate/models/{model_id}:detect-last", last_body()), 404, "ModelNotExist")
    assert not any(key[0] == model_id for key in models.model_cache(8)._items)
