"""The jobs for real, on a tiny dataset (120 minutes x 3 variables, window 28, 10 epochs in chunks of 5)."""
import json

import pytest
from service_fixtures import DATA_CONTAINER, make_settings, tiny_frame_csv, train_body

from mvad_engine import MvadModel
from mvad_engine.errors import MvadError
from service import jobs, models, results
from service.storage import MODEL_PARTITION, MODELS, RESULTS, get_storage


@pytest.fixture(scope="module")
def trained(azurite):
    """(settings, data_url, model_id, steps) after running the training jobs step by step."""
    settings = make_settings(azurite)
    storage = get_storage(settings)
    container = settings.container_prefix + DATA_CONTAINER
    storage.blob_service.get_container_client(container).create_container()
    storage.blob_service.get_blob_client(container, "tiny.csv").upload_blob(tiny_frame_csv())
    data_url = f"{storage.own_blob_endpoint}/{container}/tiny.csv"
    model_id = models.create_model(train_body(data_url, dataSource=data_url + "?sig=SECRET"), settings).model_id
    blobs = lambda: sorted(b.name.split("/", 1)[1] for b in storage.container(MODELS).list_blobs(name_starts_with=model_id))
    row = lambda: storage.get_row(MODELS, MODEL_PARTITION, model_id)
    steps = {}
    steps["plan"] = jobs.prepare_training(model_id, settings)
    steps["after_prepare"] = (dict(row()), blobs())
    steps["chunk1"] = jobs.train_chunk(model_id, 5, settings)
    steps["retry1"] = jobs.train_chunk(model_id, 5, settings)
    steps["after_chunk1"] = (models.get_model(model_id, settings), blobs())
    steps["chunk2"] = jobs.train_chunk(model_id, 10, settings)
    steps["after_chunk2"] = (models.get_model(model_id, settings), blobs())
    steps["final"] = jobs.finalize_training(model_id, settings)
    steps["after_final"] = (models.get_model(model_id, settings), blobs())
    return settings, data_url, model_id, steps


def test_training_steps_update_record_and_blobs(trained):
    settings, data_url, model_id, steps = trained
    assert steps["plan"] == {"epochs": 10, "epochsPerChunk": 5}
    row, blobs = steps["after_prepare"]
    assert row["status"] == "RUNNING" and row["sourceSas"] == ""  # the SAS is gone once the data was read
    assert blobs == ["frame.npz"]
    assert steps["chunk1"] == steps["retry1"] == {"epochsDone": 5}
    record, blobs = steps["after_chunk1"]
    assert blobs == ["checkpoint.pt", "frame.npz"] and record.status == "RUNNING"
    assert sorted(s["variable"] for s in record.variable_states) == ["series_0", "series_1", "series_2"]
    assert record.model_state["epochIds"] == []
    assert steps["chunk2"] == {"epochsDone": 10}
    record, blobs = steps["after_chunk2"]
    # progress is published while the model is still RUNNING, every 10 epochs
    assert record.status == "RUNNING" and record.model_state["epochIds"] == [10]
    assert len(record.model_state["trainLosses"]) == len(record.model_state["latenciesInSeconds"]) == 1
    assert "model.zip" in blobs
    assert steps["final"] == {"status": "READY"}
    record, blobs = steps["after_final"]
    assert record.status == "READY" and record.errors == [] and blobs == ["model.zip"]
    assert record.model_info["dataSource"] == data_url
    model = MvadModel.load(models.export_model(model_id, settings))
    assert model.is_fitted and model.variables == ["series_0", "series_1", "series_2"]
    assert jobs.finalize_training(model_id, settings) == {"status": "READY"}  # idempotent


def test_batch_detection_writes_results_for_the_requested_range(trained):
    settings, data_url, model_id, _ = trained
    body = {"dataSource": data_url, "startTime": "2021-01-01T00:20:00Z", "endTime": "2021-01-01T00:39:00Z",
            "topContributorCount": 2}
    result = results.create_result(model_id, body, settings)
    assert results.get_result(result.result_id, settings)["summary"]["status"] == "CREATED"
    assert jobs.run_batch_detection(result.result_id, settings) == {"status": "READY", "results": 20}
    answer = results.get_result(result.result_id, settings)
    assert answer["summary"]["status"] == "READY" and len(answer["summary"]["variableStates"]) == 3
    assert answer["summary"]["setupInfo"] == {**body, "dataSource": data_url}
    stamps = [r["timestamp"] for r in answer["results"]]
    assert stamps[0] == "2021-01-01T00:20:00Z" and stamps[-1] == "2021-01-01T00:39:00Z"
    # the first 8 minutes lack 28 minutes of history; the rest are scored
    assert [r["errors"][0]["code"] for r in answer["results"][:8]] == ["InsufficientHistoricalData"] * 8
    scored = answer["results"][8:]
    assert all("value" in r and r["errors"] == [] for r in scored)
    assert all(len(r["value"].get("interpretation", [])) <= 2 for r in scored)
    stored = json.loads(get_storage(settings).get_blob(RESULTS, f"{result.result_id}.json"))
    assert stored["results"] == answer["results"]


def test_batch_detection_data_errors_fail_the_result(trained):
    settings, data_url, model_id, _ = trained
    missing = data_url.replace("tiny.csv", "missing.csv")
    result = results.create_result(model_id, {"dataSource": missing, "startTime": "2021-01-01T00:20:00Z",
                                              "endTime": "2021-01-01T00:39:00Z"}, settings)
    with pytest.raises(MvadError) as err:
        jobs.run_batch_detection(result.result_id, settings)
    assert err.value.code == "FileNotExist"
    assert err.value.message == f"File {missing} does not exist."
    assert jobs.fail_result(result.result_id, err.value.code, err.value.message, settings) == {"status": "FAILED"}
    summary = results.get_result(result.result_id, settings)["summary"]
    assert summary["status"] == "FAILED" and summary["errors"] == [err.value.to_dict()]


def test_detection_needs_a_ready_model(settings, data_url):
    record = models.create_model(train_body(data_url), settings)
    body = {"dataSource": data_url, "startTime": "2021-01-01T00:20:00Z", "endTime": "2021-01-01T00:39:00Z"}
    with pytest.raises(MvadError) as err:
        results.create_result(record.model_id, body, settings)
    assert err.value.code == "ModelNotReady"
    jobs.fail_model(record.model_id, "NotEnoughInput", "too short", settings)
    with pytest.raises(MvadError) as err:
        results.create_result(record.model_id, body, settings)
    assert err.value.code == "ModelFailed"
    with pytest.raises(MvadError) as err:
        results.get_result("00000000-0000-0000-0000-000000000000", settings)
    assert err.value.code == "ResultNotExist"


def test_data_errors_while_preparing_fail_the_model_and_clean_up(settings, data_url):
    storage = get_storage(settings)
    bad_url = data_url.replace("tiny.csv", "bad.csv")
    container = settings.container_prefix + DATA_CONTAINER
    storage.blob_service.get_blob_client(container, "bad.csv").upload_blob(b"nothing,here\nat,all\n")
    first_message = ""
    for url in (bad_url, data_url.replace("tiny.csv", "missing.csv")):
        model_id = models.create_model(train_body(url), settings).model_id
        with pytest.raises(MvadError) as err:
            jobs.prepare_training(model_id, settings)
        first_message = first_message if url != bad_url else err.value.message
        storage.put_blob(MODELS, f"{model_id}/frame.npz", b"left over")
        assert jobs.fail_model(model_id, err.value.code, err.value.message, settings) == {"status": "FAILED"}
        record = models.get_model(model_id, settings)
        assert record.status == "FAILED" and record.errors == [err.value.to_dict()]
        assert list(storage.container(MODELS).list_blobs(name_starts_with=model_id)) == []
    assert err.value.code == "FileNotExist"
    assert "bad.csv" in first_message and "mvad-data-" not in first_message  # names the file, not our temp copy


def test_a_model_deleted_during_training_stops_and_leaves_nothing(settings, data_url, monkeypatch):
    storage = get_storage(settings)
    model_id = models.create_model(train_body(data_url), settings).model_id
    jobs.prepare_training(model_id, settings)
    models.delete_model(model_id, settings)
    assert jobs.train_chunk(model_id, 5, settings) == {"cancelled": True}
    assert jobs.prepare_training(model_id, settings) == {"cancelled": True}

    # deleted just after the chunk looked at the record: the next progress report (epoch 10) notices and stops
    model_id = models.create_model(train_body(data_url), settings).model_id
    jobs.prepare_training(model_id, settings)
    read_record = jobs._model_record

    def read_then_delete(storage_, id_):
        record = read_record(storage_, id_)
        storage_.delete_row(MODELS, MODEL_PARTITION, id_)
        return record

    monkeypatch.setattr(jobs, "_model_record", read_then_delete)
    assert jobs.train_chunk(model_id, 10, settings) == {"cancelled": True}
    assert list(storage.container(MODELS).list_blobs(name_starts_with=model_id)) == []
