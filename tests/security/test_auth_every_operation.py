"""Every operation of the API's own OpenAPI description (and the description itself) needs one of the two keys."""
from __future__ import annotations

import hmac
import json
from pathlib import Path

import pytest
from api_fixtures import KEY, KEY2, assert_error, body_json

ROOT = Path(__file__).resolve().parents[2]
ZERO = "00000000-0000-0000-0000-000000000000"
WRONG_KEYS = ["primary-test-kez", KEY + " ", KEY[:-1], KEY + KEY2, "ключ", "a" * 4096]


def _operations() -> list[tuple[str, str]]:
    document = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    operations = [(method.upper(), path.lstrip("/").replace("{modelId}", ZERO).replace("{resultId}", ZERO))
                  for path, item in document["paths"].items() for method in item if method != "parameters"]
    return operations + [("GET", "openapi.json")]


OPERATIONS = _operations()


def test_the_description_lists_every_operation_we_serve():
    assert len(OPERATIONS) == 10  # 9 described operations + the description itself
    assert {m for m, _ in OPERATIONS} == {"GET", "POST", "DELETE"}


@pytest.mark.parametrize("method, path", OPERATIONS)
def test_no_key_and_wrong_keys_are_refused(app, method, path, storage_census):
    before = storage_census()
    missing = assert_error(app.call(method, path, {}, key=None), 401, "Unauthorized")
    assert "missing subscription key" in missing["message"]
    empty = assert_error(app.call(method, path, {}, key=""), 401, "Unauthorized")
    assert "missing subscription key" in empty["message"]
    for wrong in WRONG_KEYS:
        body = assert_error(app.call(method, path, {}, key=wrong), 401, "Unauthorized")
        assert "invalid subscription key" in body["message"] and wrong not in body["message"]
    assert app.client.started == [] and app.client.terminated == []
    assert storage_census() == before


@pytest.mark.parametrize("method, path", OPERATIONS)
def test_the_secondary_key_is_accepted(app, method, path):
    response = app.call(method, path, {}, key=KEY2)
    assert response.status_code != 401 and response.status_code < 500
    if response.status_code >= 400:
        assert body_json(response)["code"] != "Unauthorized"


def test_keys_are_compared_in_constant_time_against_both(app, monkeypatch):
    compared = []
    real = hmac.compare_digest

    def recording(a, b):
        compared.append(bytes(b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    for given in (KEY, KEY2, "wrong"):
        compared.clear()
        app.call("GET", "multivariate/models", key=given)
        # both keys, every time: no early exit tells a caller which key (or how much of it) matched
        assert compared == [KEY.encode(), KEY2.encode()]
