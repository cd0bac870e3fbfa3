"""Retention against Azurite: results older than MVAD_RESULT_RETENTION_DAYS go (file and record), recent ones stay;
files of models and results that have no record any more go once they are older than the grace period."""
from __future__ import annotations

import datetime as dt
import uuid

import azure.durable_functions as df
import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from orchestrations import maintenance
from service import retention
from service.records import CREATED, FAILED, READY, ModelRecord, ResultRecord
from service.results import result_blob
from service.settings import get_settings
from service.storage import MODEL_PARTITION, MODELS, RESULT_PARTITION, RESULTS, get_storage

UTC = dt.timezone.utc


def _api_time(days_ago: float) -> str:
    return (dt.datetime.now(UTC) - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _result(storage, days_ago: float, status: str = READY, with_file: bool = True) -> str:
    stamp = _api_time(days_ago)
    record = ResultRecord(result_id=str(uuid.uuid4()), model_id=str(uuid.uuid4()), setup_info={},
                          created_time=stamp, last_updated_time=stamp, status=status)
    storage.create_row(RESULTS, record.to_entity())
    if with_file:
        storage.put_blob(RESULTS, result_blob(record.result_id), b'{"results": []}')
    return record.result_id


def _model_files(storage, model_id: str) -> list[str]:
    names = [f"{model_id}/model.zip", f"{model_id}/checkpoint.pt", f"{model_id}/frame.npz"]
    for name in names:
        storage.put_blob(MODELS, name, b"x")
    return names


@pytest.fixture
def storage(app_env):
    return get_storage(app_env[0])


@pytest.fixture
def layout(storage):
    """Results of every age and status, a model with its files, and orphaned files of both kinds."""
    stamp = _api_time(30)
    model = ModelRecord(model_id=str(uuid.uuid4()), model_info={}, created_time=stamp, last_updated_time=stamp,
                        updated_at=stamp)  # a model never expires, however old
    storage.create_row(MODELS, model.to_entity())
    orphan_model = str(uuid.uuid4())
    return {
        "old": [_result(storage, 8), _result(storage, 30, FAILED), _result(storage, 10, CREATED, with_file=False)],
        "recent": [_result(storage, 6.9), _result(storage, 0)],
        "model": model.model_id, "model_files": _model_files(storage, model.model_id),
        "orphan_model_files": _model_files(storage, orphan_model),
        "orphan_result_files": [result_blob(str(uuid.uuid4())), "not-a-result.txt"],
    }


def _rows(storage, table, partition) -> set[str]:
    return {row["RowKey"] for row in storage.list_rows(table, partition)}


def _blobs(storage, container) -> set[str]:
    return {blob.name for blob in storage.container(container).list_blobs()}


def test_expired_results_and_orphans_are_deleted(storage, layout, app_env):
    for name in layout["orphan_result_files"]:
        storage.put_blob(RESULTS, name, b"{}")
    later = dt.datetime.now(UTC) + 2 * retention.ORPHAN_GRACE  # the files written above are old enough by then
    report = retention.purge(app_env[0], now=later)

    rows, files = _rows(storage, RESULTS, RESULT_PARTITION), _blobs(storage, RESULTS)
    assert set(layout["recent"]) <= rows and not rows & set(layout["old"])
    assert {result_blob(r) for r in layout["recent"]} <= files
    assert not files & ({result_blob(r) for r in layout["old"]} | set(layout["orphan_result_files"]))
    assert _rows(storage, MODELS, MODEL_PARTITION) >= {layout["model"]}
    assert not _blobs(storage, MODELS) & set(layout["orphan_model_files"])
    assert _blobs(storage, MODELS) >= set(layout["model_files"])
    # other tests of this module may have left more behind: at least ours were counted
    assert report.expired_results >= 3 and report.orphan_model_files >= 3 and report.orphan_result_files >= 2
    assert retention.purge(app_env[0], now=later).expired_results == 0  # nothing left to do


def test_fresh_orphans_and_a_longer_retention_are_respected(storage, layout, app_env):
    settings = app_env[0]
    report = retention.purge(type(settings)(**{**_fields(settings), "result_retention_days": 9}))
    assert report.orphan_model_files == 0  # written seconds ago: may be work in flight
    assert _blobs(storage, MODELS) >= set(layout["orphan_model_files"])
    kept = _rows(storage, RESULTS, RESULT_PARTITION)
    assert set(layout["recent"]) <= kept and layout["old"][0] in kept  # 8 days old, 9 days kept
    assert not kept & set(layout["old"][1:])


def _fields(settings) -> dict:
    import dataclasses

    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings) if f.init}


def test_the_timer_function_runs_the_sweep_with_the_app_settings(storage, layout, app_env):
    assert get_settings() == app_env[0]
    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    app.register_functions(maintenance.bp)
    (function,) = app.get_functions()
    trigger = function.get_trigger()
    assert (trigger.type, trigger.schedule, function.get_function_name()) == (
        "timerTrigger", "0 0 3 * * *", "purge_expired_results")
    function.get_user_function()(TimerRequest(past_due=True))
    assert not _rows(storage, RESULTS, RESULT_PARTITION) & set(layout["old"])
    assert set(layout["recent"]) <= _rows(storage, RESULTS, RESULT_PARTITION)
