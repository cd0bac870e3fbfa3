import pytest
from service_fixtures import make_settings, train_body

from mvad_engine.errors import MvadError
from service import models
from service.records import ModelRecord
from service.storage import MODEL_PARTITION, MODELS, get_storage


def test_create_stores_a_created_record_with_defaults_and_without_the_sas(settings, data_url):
    body = {"dataSource": data_url + "?sv=2021&sig=TOPSECRET", "startTime": "2021-01-01T00:00:00Z",
            "endTime": "2021-01-01T01:00:00+00:00"}
    record = models.create_model(body, settings)
    api = models.get_model(record.model_id.upper(), settings).to_api()
    info = api["modelInfo"]
    assert info["dataSource"] == data_url and "TOPSECRET" not in str(api)
    assert (info["dataSchema"], info["slidingWindow"], info["displayName"]) == ("OneTable", 300, "")
    assert info["alignPolicy"] == {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0.0}
    assert (info["startTime"], info["endTime"], info["status"], info["errors"]) == (
        "2021-01-01T00:00:00Z", "2021-01-01T01:00:00Z", "CREATED", [])
    stored = get_storage(settings).get_row(MODELS, MODEL_PARTITION, record.model_id)
    assert stored["sourceSas"] == "sv=2021&sig=TOPSECRET"  # private until the data is read
    assert api["createdTime"] == api["lastUpdatedTime"] and api["createdTime"].endswith("Z")


@pytest.mark.parametrize("change, code", [
    ({"dataSource": None}, "RequiredSource"),
    ({"startTime": None}, "RequiredStartTime"),
    ({"endTime": ""}, "RequiredEndTime"),
    ({"startTime": "yesterday"}, "InvalidTimestampFormat"),
    ({"endTime": "2020-12-31T00:00:00Z"}, "InvalidEndTime"),
    ({"slidingWindow": 27}, "InvalidSlidingWindow"),
    ({"slidingWindow": 2881}, "InvalidSlidingWindow"),
    ({"slidingWindow": 28.5}, "InvalidSlidingWindow"),
    ({"slidingWindow": True}, "InvalidSlidingWindow"),
    ({"alignPolicy": {"alignMode": "outer"}}, "InvalidAlignMode"),
    ({"alignPolicy": {"fillNAMethod": "NotFill"}}, "InvalidFillNAMethod"),
    ({"alignPolicy": {"fillNAMethod": "Fixed"}}, "RequiredPaddingValue"),
    ({"alignPolicy": {"fillNAMethod": "Fixed", "paddingValue": "1"}}, "InvalidPaddingValue"),
    ({"dataSchema": "TwoTable"}, "InvalidDataSchema"),
    ({"displayName": "x" * 25}, "InvalidDisplayName"),
    ({"dataSource": "https://example.com/data/x.csv"}, "InvalidBlobURL"),
])
def test_invalid_training_requests_store_nothing(settings, data_url, change, code):
    with pytest.raises(MvadError) as err:
        models.create_model(train_body(data_url, **change), settings)
    assert err.value.code == code
    assert models.list_models(settings=settings)[1] == 0


def test_too_many_models(azurite, data_url):
    few = make_settings(azurite, max_models=2)
    models.create_model(train_body(data_url), few)
    models.create_model(train_body(data_url), few)
    with pytest.raises(MvadError) as err:
        models.create_model(train_body(data_url), few)
    assert err.value.code == "TooManyModels"


def test_list_newest_update_first_with_paging(settings, data_url):
    ids = [models.create_model(train_body(data_url, displayName=f"m{i}"), settings).model_id for i in range(3)]
    page, total = models.list_models(settings=settings)
    assert total == 3 and [r.model_id for r in page] == ids[::-1]
    page, _ = models.list_models(skip=1, top=1, settings=settings)
    assert [r.model_id for r in page] == [ids[1]]
    # an update moves a model to the front
    storage = get_storage(settings)

    def touch(entity):
        record = ModelRecord.from_entity(entity)
        record.touch()
        return record.to_entity()

    storage.update_row(MODELS, MODEL_PARTITION, ids[0], touch)
    assert models.list_models(settings=settings)[0][0].model_id == ids[0]


def test_delete_removes_record_and_blobs_and_unknown_ids_do_not_exist(settings, data_url):
    record = models.create_model(train_body(data_url), settings)
    storage = get_storage(settings)
    storage.put_blob(MODELS, f"{record.model_id}/checkpoint.pt", b"x")
    storage.put_blob(MODELS, f"{record.model_id}/frame.npz", b"y")
    models.delete_model(record.model_id, settings)
    assert storage.get_row(MODELS, MODEL_PARTITION, record.model_id) is None
    assert list(storage.container(MODELS).list_blobs(name_starts_with=record.model_id)) == []
    for bad in (record.model_id, "not-a-uuid", "../x"):
        with pytest.raises(MvadError) as err:
            models.get_model(bad, settings)
        assert err.value.code == "ModelNotExist"


def test_export_and_loading_need_a_ready_model(settings, data_url):
    record = models.create_model(train_body(data_url), settings)
    for call in (models.export_model, models.load_ready_model):
        with pytest.raises(MvadError) as err:
            call(record.model_id, settings)
        assert err.value.code == "ModelNotReady"


def test_conditional_update_re_applies_after_a_lost_race(settings, data_url):
    record = models.create_model(train_body(data_url), settings)
    storage = get_storage(settings)
    calls = []

    def change(entity):
        calls.append(entity["displayName"] if "displayName" in entity else entity["status"])
        if len(calls) == 1:  # someone else writes between our read and our write
            other = dict(storage.get_row(MODELS, MODEL_PARTITION, record.model_id))
            other["status"] = "RUNNING"
            storage.table(MODELS).update_entity(other)
        entity["epochs"] = 7
        return entity

    storage.update_row(MODELS, MODEL_PARTITION, record.model_id, change)
    row = storage.get_row(MODELS, MODEL_PARTITION, record.model_id)
    assert calls == ["CREATED", "RUNNING"]  # re-read and re-applied on the fresh row
    assert (row["status"], row["epochs"]) == ("RUNNING", 7)
