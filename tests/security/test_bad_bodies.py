"""Hostile and broken request bodies get the service's error (400, 413 for the size cap), never a 500, and store
nothing: no record, no blob, no orchestration started."""
from __future__ import annotations

import json

import pytest
from api_fixtures import assert_error, body_json, run_training, train_body

from api.http import MAX_BODY_BYTES, MAX_DETECT_LAST_BODY_BYTES

T0, T1 = "2021-01-01T00:00:00Z", "2021-01-01T01:59:00Z"
NESTED = b"[" * 200_000 + b"]" * 200_000  # under the size cap, deeper than any parser's recursion limit
WRONG_TYPES = [None, True, 1, 1.5, "x", [], {}, [1], {"a": 1}]


def _raw(data: bytes):
    return ("raw", data)


# (case id, body of POST models, expected code); "{url}" is replaced with an allowed data source
TRAIN_CASES = [
    ("empty body", _raw(b""), "InvalidJsonFormat"),
    ("not json", _raw(b"{dataSource: x}"), "InvalidJsonFormat"),
    ("truncated", _raw(b'{"dataSource": "x"'), "InvalidJsonFormat"),
    ("invalid utf-8", _raw(b'{"displayName": "\xff\xfe"}'), "InvalidJsonFormat"),
    ("deeply nested", _raw(NESTED), "InvalidJsonFormat"),
    ("deeply nested object", _raw(b'{"a":' * 100_000 + b"1" + b"}" * 100_000), "InvalidJsonFormat"),
    ("too large", _raw(b'{"displayName": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'), "RequestEntityTooLarge"),
    ("array body", [], "InvalidJsonFormat"),
    ("string body", "models", "InvalidJsonFormat"),
    ("null body", None, "InvalidJsonFormat"),
    ("number body", 42, "InvalidJsonFormat"),
    ("missing dataSource", train_body("{url}", dataSource=None), "RequiredSource"),
    ("missing startTime", train_body("{url}", startTime=None), "RequiredStartTime"),
    ("missing endTime", train_body("{url}", endTime=None), "RequiredEndTime"),
    ("dataSource number", train_body("{url}", dataSource=12), "InvalidBlobURL"),
    ("dataSource list", train_body("{url}", dataSource=["{url}"]), "InvalidBlobURL"),
    ("startTime number", train_body("{url}", startTime=1609459200), "InvalidTimestampFormat"),
    ("startTime garbage", train_body("{url}", startTime="yesterday-ish"), "InvalidTimestampFormat"),
    ("startTime out of range", train_body("{url}", startTime="99999-01-01T00:00:00Z"), "InvalidTimestampFormat"),
    ("startTime object", train_body("{url}", startTime={"$date": 1}), "InvalidTimestampFormat"),
    ("start after end", train_body("{url}", startTime=T1, endTime=T0), "InvalidEndTime"),
    ("dataSchema unknown", train_body("{url}", dataSchema="ThreeTables"), "InvalidDataSchema"),
    ("dataSchema list", train_body("{url}", dataSchema=["OneTable"]), "InvalidDataSchema"),
    ("dataSchema object", train_body("{url}", dataSchema={"a": 1}), "InvalidDataSchema"),
    ("displayName too long", train_body("{url}", displayName="x" * 25), "InvalidDisplayName"),
    ("displayName number", train_body("{url}", displayName=5), "InvalidDisplayName"),
    ("slidingWindow low", train_body("{url}", slidingWindow=27), "InvalidSlidingWindow"),
    ("slidingWindow high", train_body("{url}", slidingWindow=2881), "InvalidSlidingWindow"),
    ("slidingWindow negative", train_body("{url}", slidingWindow=-300), "InvalidSlidingWindow"),
    ("slidingWindow fraction", train_body("{url}", slidingWindow=100.5), "InvalidSlidingWindow"),
    ("slidingWindow huge", train_body("{url}", slidingWindow=10**400), "InvalidSlidingWindow"),
    ("slidingWindow string", train_body("{url}", slidingWindow="300"), "InvalidSlidingWindow"),
    ("slidingWindow bool", train_body("{url}", slidingWindow=True), "InvalidSlidingWindow"),
    ("slidingWindow infinity", _raw(json.dumps(train_body("{url}")).replace('"slidingWindow": 28',
                                                                           '"slidingWindow": 1e999').encode()),
     "InvalidSlidingWindow"),
    ("slidingWindow NaN", _raw(json.dumps(train_body("{url}")).replace('"slidingWindow": 28',
                                                                      '"slidingWindow": NaN').encode()),
     "InvalidSlidingWindow"),
    ("alignPolicy string", train_body("{url}", alignPolicy="Outer"), "InvalidAlignPolicy"),
    ("alignPolicy list", train_body("{url}", alignPolicy=[]), "InvalidAlignPolicy"),
    ("alignMode unknown", train_body("{url}", alignPolicy={"alignMode": "Middle"}), "InvalidAlignMode"),
    ("alignMode lower case", train_body("{url}", alignPolicy={"alignMode": "outer"}), "InvalidAlignMode"),
    ("alignMode list", train_body("{url}", alignPolicy={"alignMode": ["Inner"]}), "InvalidAlignMode"),
    ("fillNAMethod unknown", train_body("{url}", alignPolicy={"fillNAMethod": "Mean"}), "InvalidFillNAMethod"),
    ("fillNAMethod object", train_body("{url}", alignPolicy={"fillNAMethod": {"x": 1}}), "InvalidFillNAMethod"),
    ("Fixed without paddingValue", train_body("{url}", alignPolicy={"fillNAMethod": "Fixed"}), "RequiredPaddingValue"),
    ("paddingValue NaN", _raw(json.dumps(train_body("{url}")).replace('"paddingValue": 0', '"paddingValue": NaN')
                              .encode()), "InvalidPaddingValue"),
    ("paddingValue Infinity", _raw(json.dumps(train_body("{url}")).replace('"paddingValue": 0',
                                                                          '"paddingValue": -Infinity').encode()),
     "InvalidPaddingValue"),
    ("paddingValue string", train_body("{url}", alignPolicy={"fillNAMethod": "Fixed", "paddingValue": "0"}),
     "InvalidPaddingValue"),
    ("paddingValue bool", train_body("{url}", alignPolicy={"fillNAMethod": "Fixed", "paddingValue": False}),
     "InvalidPaddingValue"),
]

# (case id, body of POST :detect-batch, expected code)
BATCH_CASES = [
    ("not json", _raw(b"nope"), "InvalidJsonFormat"),
    ("deeply nested", _raw(NESTED), "InvalidJsonFormat"),
    ("too large", _raw(b" " * (MAX_BODY_BYTES + 1)), "RequestEntityTooLarge"),
    ("array body", [{"dataSource": "{url}"}], "InvalidJsonFormat"),
    ("missing dataSource", {"startTime": T0, "endTime": T1}, "RequiredSource"),
    ("missing startTime", {"dataSource": "{url}", "endTime": T1}, "RequiredStartTime"),
    ("missing endTime", {"dataSource": "{url}", "startTime": T0}, "RequiredEndTime"),
    ("start after end", {"dataSource": "{url}", "startTime": T1, "endTime": T0}, "InvalidEndTime"),
    ("startTime number", {"dataSource": "{url}", "startTime": 0, "endTime": T1}, "InvalidTimestampFormat"),
    ("topContributorCount zero", {"dataSource": "{url}", "startTime": T0, "endTime": T1, "topContributorCount": 0},
     "InvalidTopContributorCount"),
    ("topContributorCount high", {"dataSource": "{url}", "startTime": T0, "endTime": T1, "topContributorCount": 302},
     "InvalidTopContributorCount"),
    ("topContributorCount string", {"dataSource": "{url}", "startTime": T0, "endTime": T1,
                                    "topContributorCount": "10"}, "InvalidTopContributorCount"),
    ("topContributorCount fraction", {"dataSource": "{url}", "startTime": T0, "endTime": T1,
                                      "topContributorCount": 2.5}, "InvalidTopContributorCount"),
    ("dataSource object", {"dataSource": {"url": "{url}"}, "startTime": T0, "endTime": T1}, "InvalidBlobURL"),
]

# (case id, body of POST :detect-last, expected code): a trained model answers these
SERIES = {"timestamps": ["2021-01-01T00:00:00Z", "2021-01-01T00:01:00Z"], "values": [1.0, 2.0]}
LAST_CASES = [
    ("not json", _raw(b"[1,2"), "InvalidJsonFormat"),
    ("deeply nested", _raw(NESTED), "InvalidJsonFormat"),
    ("too large", _raw(b" " * (MAX_DETECT_LAST_BODY_BYTES + 1)), "RequestEntityTooLarge"),
    ("missing variables", {"topContributorCount": 3}, "RequiredVariables"),
    ("variables object", {"variables": {"a": 1}}, "InvalidVariables"),
    ("variables of numbers", {"variables": [1, 2]}, "InvalidVariables"),
    ("variable name missing", {"variables": [SERIES]}, "InvalidVariables"),
    ("variable name number", {"variables": [{"variable": 1, **SERIES}]}, "InvalidVariables"),
    ("values missing", {"variables": [{"variable": "series_0", "timestamps": SERIES["timestamps"]}]},
     "InvalidVariables"),
    ("values string", {"variables": [{"variable": "series_0", "timestamps": SERIES["timestamps"], "values": "12"}]},
     "InvalidVariables"),
    ("topContributorCount negative", {"variables": [{"variable": "series_0", **SERIES}], "topContributorCount": -1},
     "InvalidTopContributorCount"),
]


def _send(app, method, path, body, data_url):
    if isinstance(body, tuple) and body[0] == "raw":
        return app.call(method, path, raw=body[1])
    text = json.dumps(body).replace("{url}", data_url)
    return app.call(method, path, raw=text.encode())


def _case_ids(cases):
    return [case[0] for case in cases]


@pytest.mark.parametrize("name, body, code", TRAIN_CASES, ids=_case_ids(TRAIN_CASES))
def test_bad_training_requests(app, data_url, storage_census, name, body, code):
    before = storage_census()
    response = _send(app, "POST", "multivariate/models", body, data_url)
    assert_error(response, 413 if code == "RequestEntityTooLarge" else 400, code)
    assert storage_census() == before and app.client.started == []


@pytest.mark.parametrize("name, body, code", BATCH_CASES, ids=_case_ids(BATCH_CASES))
def test_bad_batch_requests(app, data_url, ready_model_id, storage_census, name, body, code):
    before = storage_census()
    response = _send(app, "POST", f"multivariate/models/{ready_model_id}:detect-batch", body, data_url)
    assert_error(response, 413 if code == "RequestEntityTooLarge" else 400, code)
    assert storage_census() == before and app.client.started == []


@pytest.fixture(scope="module")
def trained_model_id(app_env) -> str:
    from api_fixtures import ApiClient

    response = ApiClient().call("POST", "multivariate/models", train_body(app_env[1]))
    model_id = body_json(response)["modelId"]
    run_training(model_id)
    return model_id


@pytest.mark.parametrize("name, body, code", LAST_CASES, ids=_case_ids(LAST_CASES))
def test_bad_last_detection_requests(app, data_url, trained_model_id, storage_census, name, body, code):
    before = storage_census()
    response = _send(app, "POST", f"multivariate/models/{trained_model_id}:detect-last", body, data_url)
    assert_error(response, 413 if code == "RequestEntityTooLarge" else 400, code)
    assert storage_census() == before


@pytest.mark.parametrize("values", [[1.0, "x"], [None, None], [1.0], [1e308, -1e308], [[1], [2]], [True, False]])
@pytest.mark.parametrize("timestamps", [["2021-01-01T00:00:00Z", "2021-01-01T00:01:00Z"], ["x", "y"], [1, 2],
                                        ["2021-01-01T00:00:00Z", "2021-01-01T00:00:00Z"], [None, None]])
def test_broken_series_in_last_detection_are_client_errors(app, trained_model_id, timestamps, values):
    """Whatever the series hold, detect-last answers a 200 or a 400 with the service's error, never a 500."""
    variables = [{"variable": f"series_{i}", "timestamps": timestamps, "values": values} for i in range(3)]
    response = app.call("POST", f"multivariate/models/{trained_model_id}:detect-last", {"variables": variables})
    assert response.status_code in (200, 400), body_json(response)
    if response.status_code == 400:
        assert_error(response, 400, body_json(response)["code"])
