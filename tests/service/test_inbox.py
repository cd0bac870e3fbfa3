"""Detection by file drop, the use case against Azurite: names, one claim per (blob, ETag), error files, outbox."""
from __future__ import annotations

import io
import json
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from service_fixtures import DATA_CONTAINER, make_settings, tiny_frame_csv, train_body

from service import inbox, jobs, models, results
from service.inbox import parse_inbox_name
from service.storage import INBOX, OUTBOX, RESULT_PARTITION, RESULTS, get_storage


def _tiny_zip() -> bytes:
    """The tiny data as MultiTable: one timestamp,value CSV per variable."""
    table = pd.read_csv(io.BytesIO(tiny_frame_csv()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in table.columns[1:]:
            archive.writestr(f"{name}.csv", table[["timestamp", name]].rename(columns={name: "value"})
                             .to_csv(index=False))
    return buffer.getvalue()


def _train(settings, model_id: str) -> None:
    jobs.prepare_training(model_id, settings)
    jobs.train_chunk(model_id, 2, settings)
    assert jobs.finalize_training(model_id, settings) == {"status": "READY"}


@pytest.fixture(scope="module")
def env(azurite):
    """(settings, ready model id, training model id, failed model id, ready MultiTable model id): tiny models
    trained for 2 epochs."""
    settings = make_settings(azurite, train_epochs=2, epochs_per_chunk=2)
    storage = get_storage(settings)
    container = settings.container_prefix + DATA_CONTAINER
    storage.blob_service.get_container_client(container).create_container()
    storage.blob_service.get_blob_client(container, "tiny.csv").upload_blob(tiny_frame_csv())
    storage.blob_service.get_blob_client(container, "tiny.zip").upload_blob(_tiny_zip())
    url = f"{storage.own_blob_endpoint}/{container}/tiny"
    ready, training, failed = (models.create_model(train_body(url + ".csv"), settings).model_id for _ in range(3))
    multi = models.create_model(train_body(url + ".zip", dataSchema="MultiTable"), settings).model_id
    _train(settings, ready)
    _train(settings, multi)
    jobs.fail_model(failed, "NotEnoughInput", "no data", settings)
    return settings, ready, training, failed, multi


def _upload(settings, name: str, data: bytes, metadata: dict | None = None) -> None:
    get_storage(settings).container(INBOX).upload_blob(name, data, overwrite=True, metadata=metadata)


def _outbox(settings) -> dict:
    """The outbox's blobs: {name: parsed JSON}."""
    container = get_storage(settings).container(OUTBOX)
    return {b.name: json.loads(container.download_blob(b.name).readall()) for b in container.list_blobs()}


def _claims(settings) -> list[dict]:
    return get_storage(settings).list_rows(inbox.CLAIMS, inbox.CLAIM_PARTITION)


@pytest.fixture
def clean(env):
    """Each test starts with an empty inbox, outbox and claim table."""
    settings = env[0]
    storage = get_storage(settings)
    for base in (INBOX, OUTBOX):
        storage.delete_prefix(base, "")
    for row in _claims(settings):
        storage.delete_row(inbox.CLAIMS, inbox.CLAIM_PARTITION, row["RowKey"])
    return env


@pytest.mark.parametrize("name, expected", [
    ("m1/x.csv", ("m1", "x", "m1/x")),
    ("m1/x.ZIP", ("m1", "x", "m1/x")),
    ("m1/day 1.2.csv", ("m1", "day 1.2", "m1/day 1.2")),
    ("x.csv", None),  # no model folder
    ("m1/sub/x.csv", None),  # nested deeper
    ("m1/x.txt", None),
    ("m1/x.json", None),
    ("m1/.csv", None),
    ("/x.csv", None),
    ("m1/", None),
])
def test_inbox_names(name, expected):
    parsed = parse_inbox_name(name)
    assert (parsed and (parsed.folder, parsed.stem, parsed.outbox)) == expected


def test_a_csv_becomes_a_result_over_the_whole_file_and_is_claimed_once(clean):
    settings, model_id, *_ = clean
    _upload(settings, f"{model_id}/x.csv", tiny_frame_csv())
    job = inbox.accept_blob(f"{model_id}/x.csv", settings)
    assert job is not None and job.outbox == f"{model_id}/x"
    assert job.orchestration_input == {"resultId": job.result_id, "outbox": f"{model_id}/x"}
    answer = results.get_result(job.result_id, settings)
    assert answer["summary"]["status"] == "CREATED"
    setup = answer["summary"]["setupInfo"]
    assert (setup["startTime"], setup["endTime"], setup["topContributorCount"]) == (
        "2021-01-01T00:00:00Z", "2021-01-01T01:59:00Z", 10)
    assert setup["dataSource"].endswith(f"/{settings.container_prefix}inbox/{model_id}/x.csv")
    assert results.get_result_record(job.result_id, settings).model_id == model_id

    assert inbox.accept_blob(f"{model_id}/x.csv", settings) is None  # same ETag: never twice
    [claim] = _claims(settings)
    assert (claim["blobName"], claim["status"], claim["resultId"]) == (f"{model_id}/x.csv", "ACCEPTED", job.result_id)

    _upload(settings, f"{model_id}/x.csv", tiny_frame_csv(seed=1))  # uploaded again: a new ETag, a new detection
    again = inbox.accept_blob(f"{model_id}/x.csv", settings)
    assert again is not None and again.result_id != job.result_id
    assert _outbox(settings) == {}


def test_concurrent_triggers_claim_a_blob_once(clean):
    settings, model_id, *_ = clean
    _upload(settings, f"{model_id}/race.csv", tiny_frame_csv())
    with ThreadPoolExecutor(4) as pool:
        jobs_started = list(pool.map(lambda _: inbox.accept_blob(f"{model_id}/race.csv", settings), range(4)))
    started = [j for j in jobs_started if j is not None]
    assert len(started) == 1 and len(_claims(settings)) == 1


@pytest.mark.parametrize("which, code", [("unknown", "ModelNotExist"), ("not-a-uuid", "ModelNotExist"),
                                         ("training", "ModelNotReady"), ("failed", "ModelFailed")])
def test_a_model_that_cannot_detect_gets_an_error_file(clean, which, code):
    settings, _, training, failed, _ = clean
    folder = {"unknown": str(uuid.uuid4()), "not-a-uuid": "my-model", "training": training, "failed": failed}[which]
    _upload(settings, f"{folder}/x.csv", tiny_frame_csv())
    assert inbox.accept_blob(f"{folder}/x.csv", settings) is None
    error = _outbox(settings)[f"{folder}/x.error.json"]
    assert error["code"] == code and error["message"] and "resultId" not in error
    assert [c["status"] for c in _claims(settings)] == ["REJECTED"]
    assert inbox.accept_blob(f"{folder}/x.csv", settings) is None  # rejected once is done


def test_names_outside_the_pattern_are_ignored(clean):
    settings, model_id, *_ = clean
    for name in ("x.csv", f"{model_id}/sub/x.csv", f"{model_id}/notes.txt"):
        _upload(settings, name, tiny_frame_csv())
        assert inbox.accept_blob(name, settings) is None
    assert _outbox(settings) == {} and _claims(settings) == []
    assert inbox.accept_blob(f"{model_id}/missing.csv", settings) is None  # gone before it was read


def test_unreadable_data_gets_the_engine_error(clean):
    settings, model_id, *_ = clean
    _upload(settings, f"{model_id}/bad.csv", b"timestamp,series_0,series_1,series_2\nyesterday,1,2,3\n")
    assert inbox.accept_blob(f"{model_id}/bad.csv", settings) is None
    error = _outbox(settings)[f"{model_id}/bad.error.json"]
    assert error["code"] == "InvalidTimestampFormat", error


def test_metadata_sets_the_range_and_contributors(clean):
    settings, model_id, *_ = clean
    _upload(settings, f"{model_id}/m.csv", tiny_frame_csv(),
            {"StartTime": "2021-01-01T01:00:00Z", "endtime": "2021-01-01T01:30:00Z", "topContributorCount": "2"})
    job = inbox.accept_blob(f"{model_id}/m.csv", settings)
    setup = results.get_result(job.result_id, settings)["summary"]["setupInfo"]
    assert (setup["startTime"], setup["endTime"], setup["topContributorCount"]) == (
        "2021-01-01T01:00:00Z", "2021-01-01T01:30:00Z", 2)

    _upload(settings, f"{model_id}/n.csv", tiny_frame_csv(), {"topcontributorcount": "many"})
    assert inbox.accept_blob(f"{model_id}/n.csv", settings) is None
    assert _outbox(settings)[f"{model_id}/n.error.json"]["code"] == "InvalidTopContributorCount"


def test_outbox_holds_the_result_body_or_the_error(clean):
    settings, model_id, *_ = clean
    _upload(settings, f"{model_id}/x.csv", tiny_frame_csv())
    job = inbox.accept_blob(f"{model_id}/x.csv", settings)
    get_storage(settings).container(OUTBOX).upload_blob(f"{model_id}/x.error.json", b"{}")  # an older upload's
    assert jobs.run_batch_detection(job.result_id, settings) == {"status": "READY", "results": 120}
    assert inbox.write_outbox(job.result_id, job.outbox, settings) == {"outbox": f"{model_id}/x.json"}
    written = _outbox(settings)
    assert list(written) == [f"{model_id}/x.json"]
    body = written[f"{model_id}/x.json"]
    assert body == results.get_result(job.result_id, settings)
    assert body["resultId"] == job.result_id and body["summary"]["status"] == "READY"
    stamps = [r["timestamp"] for r in body["results"]]
    assert stamps[0] == "2021-01-01T00:00:00Z" and stamps[-1] == "2021-01-01T01:59:00Z"
    # the window's first 28 timestamps have no history to be scored with
    assert body["results"][0]["errors"][0]["code"] == "InsufficientHistoricalData"
    assert body["results"][-1]["errors"] == [] and "value" in body["results"][-1]
    properties = get_storage(settings).container(OUTBOX).get_blob_client(f"{model_id}/x.json").get_blob_properties()
    assert properties.content_settings.content_type == "application/json"

    jobs.fail_result(job.result_id, "NotEnoughInput", "too little data", settings)
    assert inbox.write_outbox(job.result_id, job.outbox, settings) == {"outbox": f"{model_id}/x.error.json"}
    assert _outbox(settings) == {f"{model_id}/x.error.json": {
        "code": "NotEnoughInput", "message": "too little data", "resultId": job.result_id}}

    results.delete_result(job.result_id, settings)
    inbox.write_outbox(job.result_id, job.outbox, settings)
    assert _outbox(settings)[f"{model_id}/x.error.json"]["code"] == "ResultNotExist"


def test_release_and_transient_failures_let_the_blob_be_taken_again(clean, monkeypatch):
    settings, model_id, *_ = clean
    _upload(settings, f"{model_id}/x.csv", tiny_frame_csv())
    job = inbox.accept_blob(f"{model_id}/x.csv", settings)
    inbox.release(job, settings)  # the orchestration could not be started
    assert get_storage(settings).get_row(RESULTS, RESULT_PARTITION, job.result_id) is None
    assert _claims(settings) == []
    assert inbox.accept_blob(f"{model_id}/x.csv", settings) is not None

    _upload(settings, f"{model_id}/y.csv", tiny_frame_csv())
    create = results.create_result

    def storage_down(*args, **kwargs):
        raise ConnectionError("table service unavailable")

    monkeypatch.setattr(results, "create_result", storage_down)
    with pytest.raises(ConnectionError):
        inbox.accept_blob(f"{model_id}/y.csv", settings)
    assert [c["blobName"] for c in _claims(settings)] == [f"{model_id}/x.csv"]  # y's claim was given back
    monkeypatch.setattr(results, "create_result", create)
    assert inbox.accept_blob(f"{model_id}/y.csv", settings) is not None
    assert _outbox(settings) == {}


def test_a_zip_is_detected_with_a_multitable_model(clean):
    settings, *_, multi = clean
    _upload(settings, f"{multi}/y.zip", _tiny_zip())
    job = inbox.accept_blob(f"{multi}/y.zip", settings)
    assert jobs.run_batch_detection(job.result_id, settings) == {"status": "READY", "results": 120}
    inbox.write_outbox(job.result_id, job.outbox, settings)
    body = _outbox(settings)[f"{multi}/y.json"]
    assert body["summary"]["setupInfo"]["endTime"] == "2021-01-01T01:59:00Z"
    assert sorted(s["variable"] for s in body["summary"]["variableStates"]) == ["series_0", "series_1", "series_2"]


def test_a_blob_replaced_while_it_is_read_is_left_to_its_new_version(clean, monkeypatch):
    settings, model_id, *_ = clean
    _upload(settings, f"{model_id}/x.csv", tiny_frame_csv())
    real_get_model = inbox.get_model

    def replaced_meanwhile(*args, **kwargs):  # a new upload lands between the claim and the read
        _upload(settings, f"{model_id}/x.csv", tiny_frame_csv(seed=2))
        return real_get_model(*args, **kwargs)

    monkeypatch.setattr(inbox, "get_model", replaced_meanwhile)
    assert inbox.accept_blob(f"{model_id}/x.csv", settings) is None
    assert [c["status"] for c in _claims(settings)] == ["SUPERSEDED"] and _outbox(settings) == {}
    monkeypatch.setattr(inbox, "get_model", real_get_model)
    assert inbox.accept_blob(f"{model_id}/x.csv", settings) is not None  # the new version's turn
