"""Train, get, list, delete and export through the HTTP functions."""
import io
import uuid
import zipfile

import pytest
from api_fixtures import BASE, ApiClient, FakeDurableClient, assert_error, body_json, run_training, train_body

from mvad_engine import MvadModel
from service.settings import get_settings
from service.storage import MODEL_PARTITION, MODELS, get_storage


def test_train_answers_201_with_location_and_starts_the_orchestration(app, data_url):
    response = app.call("POST", "multivariate/models", train_body(data_url, slidingWindow=None, alignPolicy=None,
                                                                  dataSource=data_url + "?sp=r&sig=SECRET"))
    assert response.status_code == 201
    model = body_json(response)
    model_id = str(uuid.UUID(model["modelId"]))
    assert response.headers["Location"] == f"{BASE}/multivariate/models/{model_id}"
    info = model["modelInfo"]
    assert info["status"] == "CREATED" and info["errors"] == [] and info["slidingWindow"] == 300
    assert info["alignPolicy"] == {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0.0}
    assert info["dataSource"] == data_url and "SECRET" not in response.get_body().decode()
    assert info["diagnosticsInfo"]["modelState"] == {"epochIds": [], "trainLosses": [], "validationLosses": [],
                                                     "latenciesInSeconds": []}
    assert model["createdTime"] == model["lastUpdatedTime"]
    assert app.client.started_inputs() == [("train_model_orchestrator", model_id, {"modelId": model_id})]
    got = app.call("GET", f"multivariate/models/{model_id.upper()}")
    assert got.status_code == 200 and body_json(got) == model


@pytest.mark.parametrize("raw, code", [
    (b"{not json", "InvalidJsonFormat"), (b"", "InvalidJsonFormat"), (b"[1, 2]", "InvalidJsonFormat"),
    (b"\xff\xfe", "InvalidJsonFormat"),
])
def test_malformed_bodies(app, raw, code):
    assert_error(app.call("POST", "multivariate/models", raw=raw), 400, code)
    assert app.client.started == []


@pytest.mark.parametrize("change, code", [
    ({"dataSource": None}, "RequiredSource"), ({"startTime": None}, "RequiredStartTime"),
    ({"endTime": None}, "RequiredEndTime"), ({"endTime": "soon"}, "InvalidTimestampFormat"),
    ({"slidingWindow": 10}, "InvalidSlidingWindow"), ({"alignPolicy": {"alignMode": "Middle"}}, "InvalidAlignMode"),
    ({"alignPolicy": {"fillNAMethod": "Fixed"}}, "RequiredPaddingValue"),
    ({"dataSource": "https://attacker.example/data/x.csv"}, "InvalidBlobURL"),
])
def test_invalid_training_requests(app, data_url, change, code):
    assert_error(app.call("POST", "multivariate/models", train_body(data_url, **change)), 400, code)
    assert app.client.started == []


def test_bodies_over_the_limit_answer_413(app, data_url):
    body = train_body(data_url, displayName="x" * (1024 * 1024))
    assert_error(app.call("POST", "multivariate/models", body), 413, "RequestEntityTooLarge")


def test_too_many_models(azurite, data_url, monkeypatch):
    monkeypatch.setenv("MVAD_MAX_MODELS", "1")
    monkeypatch.setenv("MVAD_CONTAINER_PREFIX", "m" + uuid.uuid4().hex[:12])
    get_settings.cache_clear()
    try:
        app = ApiClient()
        assert app.call("POST", "multivariate/models", train_body(data_url)).status_code == 201
        assert_error(app.call("POST", "multivariate/models", train_body(data_url)), 400, "TooManyModels")
        assert len(app.client.started) == 1
    finally:
        get_settings.cache_clear()


def test_a_model_whose_training_cannot_start_is_not_kept(app_env, data_url):
    app = ApiClient(FakeDurableClient(fail=True))
    before = body_json(app.call("GET", "multivariate/models?top=1000"))["currentCount"]
    assert_error(app.call("POST", "multivariate/models", train_body(data_url)), 500, "InternalServerError")
    assert body_json(app.call("GET", "multivariate/models?top=1000"))["currentCount"] == before


def test_list_pages_with_skip_top_and_next_link(azurite, data_url, monkeypatch):
    monkeypatch.setenv("MVAD_CONTAINER_PREFIX", "l" + uuid.uuid4().hex[:12])
    get_settings.cache_clear()
    try:
        app = ApiClient()
        ids = [body_json(app.call("POST", "multivariate/models", train_body(data_url)))["modelId"] for _ in range(3)]
        first = body_json(app.call("GET", "multivariate/models?top=2"))
        assert [m["modelId"] for m in first["models"]] == ids[:0:-1]
        assert (first["currentCount"], first["maxCount"]) == (3, 1000)
        assert first["nextLink"] == f"{BASE}/multivariate/models?skip=2&top=2"
        second = body_json(app.call("GET", first["nextLink"][len(BASE) + 1:]))
        assert [m["modelId"] for m in second["models"]] == ids[:1] and second["nextLink"] == ""
        dollar = body_json(app.call("GET", "multivariate/models?$skip=1&$top=1"))
        assert [m["modelId"] for m in dollar["models"]] == [ids[1]]
        everything = body_json(app.call("GET", "multivariate/models"))
        assert len(everything["models"]) == 3 and everything["nextLink"] == ""
        for query in ("skip=-1", "top=0", "$top=ten", "skip=1.5"):
            assert_error(app.call("GET", f"multivariate/models?{query}"), 400, "InvalidRequestParameterError")
    finally:
        get_settings.cache_clear()


def test_delete_terminates_a_training_model_and_removes_everything(app, data_url, app_env):
    settings, _ = app_env
    model_id = body_json(app.call("POST", "multivariate/models", train_body(data_url)))["modelId"]
    storage = get_storage(settings)
    storage.put_blob(MODELS, f"{model_id}/checkpoint.pt", b"partial")
    response = app.call("DELETE", f"multivariate/models/{model_id}")
    assert response.status_code == 204 and response.get_body() == b""
    assert app.client.terminated == [(model_id, "model deleted")]  # its "not found" error is ignored
    assert storage.get_row(MODELS, MODEL_PARTITION, model_id) is None
    assert list(storage.container(MODELS).list_blobs(name_starts_with=model_id)) == []
    assert_error(app.call("GET", f"multivariate/models/{model_id}"), 404, "ModelNotExist")
    assert_error(app.call("DELETE", f"multivariate/models/{model_id}"), 404, "ModelNotExist")


def test_get_reports_progress_and_ready_state(app, ready_model_id):
    model = body_json(app.call("GET", f"multivariate/models/{ready_model_id}"))
    info = model["modelInfo"]
    assert info["status"] == "READY" and info["errors"] == []
    assert info["diagnosticsInfo"]["modelState"]["epochIds"] == [10]
    assert sorted(s["variable"] for s in info["diagnosticsInfo"]["variableStates"]) == ["series_0", "series_1", "series_2"]
    assert model["lastUpdatedTime"] >= model["createdTime"]


def test_export_returns_the_model_file_of_a_ready_model(app, ready_model_id, data_url):
    response = app.call("GET", f"multivariate/models/{ready_model_id}/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert zipfile.is_zipfile(io.BytesIO(response.get_body()))
    assert MvadModel.load(response.get_body()).variables == ["series_0", "series_1", "series_2"]
    created = body_json(app.call("POST", "multivariate/models", train_body(data_url)))["modelId"]
    assert_error(app.call("GET", f"multivariate/models/{created}/export"), 400, "ModelNotReady")
    assert_error(app.call("GET", f"multivariate/models/{uuid.uuid4()}/export"), 404, "ModelNotExist")


def test_deleting_a_ready_model_does_not_terminate_anything(app, data_url):
    model_id = body_json(app.call("POST", "multivariate/models", train_body(data_url)))["modelId"]
    run_training(model_id)
    assert app.call("DELETE", f"multivariate/models/{model_id}").status_code == 204
    assert app.client.terminated == []
