from service.records import ModelRecord, ResultRecord, get_json, put_json


def test_long_json_is_split_over_properties_and_joined_back():
    states = [{"variable": f"variable_{i:03d}", "filledNARatio": 0.0004999999999999449, "effectiveCount": 1999,
               "firstTimestamp": "2021-01-01T00:01:00Z", "lastTimestamp": "2021-01-02T09:19:00Z"} for i in range(301)]
    entity = {}
    put_json(entity, "variableStates", states)
    assert entity["variableStates_n"] > 1
    assert all(len(v) <= 30_000 for k, v in entity.items() if k.startswith("variableStates_") and isinstance(v, str))
    assert get_json(entity, "variableStates", None) == states
    assert get_json({}, "variableStates", []) == []


def test_model_record_round_trip_and_api_shape_hide_the_sas():
    info = {"dataSource": "https://a.blob.core.windows.net/c/x.csv", "dataSchema": "OneTable", "startTime": "s",
            "endTime": "e", "displayName": "d", "slidingWindow": 28,
            "alignPolicy": {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0.0}}
    record = ModelRecord("id", info, "t0", "t0", "t0.000001", source_sas="sv=1&sig=secret")
    again = ModelRecord.from_entity(record.to_entity())
    assert again == record
    api = again.to_api()
    assert api["modelId"] == "id" and api["modelInfo"]["status"] == "CREATED" and api["modelInfo"]["errors"] == []
    assert api["modelInfo"]["diagnosticsInfo"] == {
        "modelState": {"epochIds": [], "trainLosses": [], "validationLosses": [], "latenciesInSeconds": []},
        "variableStates": []}
    assert "secret" not in str(api)


def test_result_record_api_shape():
    setup = {"dataSource": "u", "topContributorCount": 10, "startTime": "s", "endTime": "e"}
    record = ResultRecord("rid", "mid", setup, "t", "t", source_sas="sig=secret")
    api = ResultRecord.from_entity(record.to_entity()).to_api([{"timestamp": "s"}])
    assert api == {"resultId": "rid", "summary": {"status": "CREATED", "errors": [], "variableStates": [],
                                                    "setupInfo": setup}, "results": [{"timestamp": "s"}]}
