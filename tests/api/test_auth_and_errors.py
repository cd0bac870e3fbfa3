"""Authentication on every route, the error format, the error-code table, and unexpected failures."""
import json

import pytest
from api_fixtures import KEY2, assert_error

from api.errors import STATUS_BY_CODE, status_for
from service import models

ZERO = "00000000-0000-0000-0000-000000000000"
ROUTES = [
    ("GET", "multivariate/models"), ("POST", "multivariate/models"), ("GET", f"multivariate/models/{ZERO}"),
    ("DELETE", f"multivariate/models/{ZERO}"), ("POST", f"multivariate/models/{ZERO}:detect-batch"),
    ("POST", f"multivariate/models/{ZERO}:detect-last"), ("GET", f"multivariate/models/{ZERO}/export"),
    ("GET", f"multivariate/detect-batch/{ZERO}"),
]


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_needs_a_valid_key(app, method, path):
    missing = assert_error(app.call(method, path, {}, key=None), 401, "Unauthorized")
    assert "missing subscription key" in missing["message"]
    wrong = assert_error(app.call(method, path, {}, key="primary-test-kez"), 401, "Unauthorized")
    assert "invalid subscription key" in wrong["message"]
    assert app.client.started == [] and app.client.terminated == []


def test_the_secondary_key_is_accepted(app):
    assert app.call("GET", "multivariate/models", key=KEY2).status_code == 200
    assert_error(app.call("GET", f"multivariate/models/{ZERO}", key=KEY2), 404, "ModelNotExist")


def test_status_table():
    assert {c: status_for(c) for c in ("ModelNotExist", "ResultNotExist", "Unauthorized", "InternalServerError",
                                       "RequestEntityTooLarge")} == {
        "ModelNotExist": 404, "ResultNotExist": 404, "Unauthorized": 401, "InternalServerError": 500,
        "RequestEntityTooLarge": 413}
    for code in ("ModelNotReady", "ModelFailed", "InvalidSlidingWindow", "InvalidJsonFormat", "TooManyModels",
                 "InvalidBlobURL", "InvalidRequestParameterError", "SomethingNew"):
        assert code not in STATUS_BY_CODE and status_for(code) == 400


def test_unexpected_errors_answer_500_without_details(app, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom: connection string AccountKey=SECRET")

    monkeypatch.setattr(models, "get_model", broken)
    with caplog.at_level("ERROR"):
        response = app.call("GET", f"multivariate/models/{ZERO}")
    body = assert_error(response, 500, "InternalServerError")
    assert "boom" not in json.dumps(body) and "Traceback" not in response.get_body().decode()
    assert any("boom" in (r.exc_text or "") for r in caplog.records)  # logged for the operator


def test_unknown_actions_are_not_found(app, ready_model_id):
    assert_error(app.call("POST", f"multivariate/models/{ready_model_id}:detect-all", {}), 404, "NotFound")
    assert_error(app.call("POST", f"multivariate/models/{ready_model_id}", {}), 404, "NotFound")
    assert_error(app.call("GET", f"multivariate/models/{ready_model_id}:detect-batch"), 404, "NotFound")
