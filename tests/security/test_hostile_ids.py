"""Model and result ids are checked before they reach a blob name or a table key: hostile ids on every id route are
answered 404 ModelNotExist / ResultNotExist (NotFound for a ``:`` action we do not have), the raw string never reaches
the storage layer, and nothing is created."""
from __future__ import annotations

import asyncio
import json
import uuid

import azure.functions as func
import pytest
from api_fixtures import KEY, BASE, FakeDurableClient, assert_error

import api
from service.storage import Storage

HOSTILE_IDS = [
    "../x", "..", ".", "../../models/x/model.zip", "x/../../y", "%2F", "..%2F..%2Fx", "%2e%2e%2fx", "a\\b",
    "a'or'1'eq'1", "' or PartitionKey ne '", "x' or RowKey gt '", "00000000-0000-0000-0000-000000000000' or '1'='1",
    "$filter=true", "a&b=c", "a?b", "a#b", "a b", "a\x00b", "a\r\nb", "\u202e", "\ud800", "ｍｏｄｅｌ", "模型",
    "😀" * 10, "x" * 5000, "-" * 36, "0" * 32 + "0", "00000000-0000-0000-0000-00000000000g", "null", "None",
    "[]", "{}", "*", "models/x", "%00", "%",
]
ROUTES = [  # (function, method, route parameter, template of the parameter, answer code)
    ("model_item", "GET", "modelRef", "{}", "ModelNotExist"),
    ("model_item", "DELETE", "modelRef", "{}", "ModelNotExist"),
    ("model_item", "POST", "modelRef", "{}:detect-batch", "ModelNotExist"),
    ("model_item", "POST", "modelRef", "{}:detect-last", "ModelNotExist"),
    ("model_export", "GET", "modelId", "{}", "ModelNotExist"),
    ("batch_result", "GET", "resultId", "{}", "ResultNotExist"),
    ("batch_status", "GET", "resultId", "{}", "ResultNotExist"),
]
BODIES = {"detect-batch": {"dataSource": "http://127.0.0.1:10000/devstoreaccount1/data/x.csv",
                           "startTime": "2021-01-01T00:00:00Z", "endTime": "2021-01-01T01:00:00Z"},
          "detect-last": {"variables": [{"variable": "a", "timestamps": ["2021-01-01T00:00:00Z"], "values": [1.0]}]}}


def test_the_table_is_large_enough():
    assert len(HOSTILE_IDS) >= 30 and len(HOSTILE_IDS) * len(ROUTES) >= 200


def _functions() -> dict:
    import azure.durable_functions as df

    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    app.register_functions(api.bp)
    return {f.get_function_name(): f.get_user_function() for f in app.get_functions()}


FUNCTIONS = _functions()


def invoke(name: str, method: str, route_params: dict, body=None) -> func.HttpResponse:
    """Call a function as the host does once it has matched and decoded the route."""
    req = func.HttpRequest(method, f"{BASE}/multivariate/x", headers={"Ocp-Apim-Subscription-Key": KEY},
                           params={}, route_params=route_params, body=json.dumps(body or {}).encode())
    fn = FUNCTIONS[name]
    inner = getattr(fn, "client_function", None)
    return asyncio.run(inner(req=req, client=FakeDurableClient()) if inner else fn(req=req))


@pytest.fixture
def storage_calls(monkeypatch):
    """Every argument handed to the storage layer during the test."""
    calls = []
    for method in ("get_row", "create_row", "delete_row", "update_row", "list_rows", "get_blob", "put_blob",
                   "delete_blob", "delete_prefix", "blob_exists", "download_blob_to"):
        real = getattr(Storage, method)

        def recording(self, *args, _real=real, _name=method, **kwargs):
            calls.append((_name, args, kwargs))
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Storage, method, recording)
    return calls


@pytest.mark.parametrize("hostile", HOSTILE_IDS, ids=lambda v: repr(v[:24]).encode("ascii", "backslashreplace").decode())
def test_hostile_ids_never_reach_storage(app_env, hostile, storage_calls, storage_census):
    before = storage_census()
    for name, method, param, template, code in ROUTES:
        value = template.format(hostile)
        body = BODIES.get(template.partition(":")[2])
        response = invoke(name, method, {param: value}, body)
        expected = "NotFound" if name == "model_item" and ":" in hostile else code
        assert_error(response, 404, expected)
    sent = [str(value) for _, args, kwargs in storage_calls for value in (*args, *kwargs.values())]
    assert not any(hostile in value for value in sent)
    assert storage_census() == before


def test_equivalent_spellings_of_an_id_reach_storage_only_in_canonical_form(app_env, storage_calls):
    """uuid spellings Python accepts ({...}, urn:uuid:, no dashes, upper case) become the canonical key, nothing else."""
    canonical = str(uuid.uuid4())
    for spelling in (canonical.upper(), "{" + canonical + "}", "urn:uuid:" + canonical, canonical.replace("-", "")):
        assert_error(invoke("batch_result", "GET", {"resultId": spelling}), 404, "ResultNotExist")
    keys = [args[2] for name, args, _ in storage_calls if name == "get_row"]
    assert keys == [canonical] * 4
