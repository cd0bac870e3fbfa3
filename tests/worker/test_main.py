"""The worker's entry point in-process: reading the request, recording outcomes, and its exit statuses."""
from __future__ import annotations

import json

import pytest
from worker_fixtures import create_model, upload_data

from orchestrations.compute import JOB_NAMES as BACKEND_JOB_NAMES
from service.storage import MODELS, get_storage, job_outcome_blob
from worker.main import EXIT_OK, EXIT_TRANSIENT, EXIT_USAGE, JOB_NAMES, JobRequest, UsageError, main, parse_request


def _outcome(settings, job_id: str) -> dict | None:
    data = get_storage(settings).get_blob(MODELS, job_outcome_blob(job_id))
    return None if data is None else json.loads(data)


def test_the_worker_runs_the_jobs_the_backends_send():
    assert JOB_NAMES == BACKEND_JOB_NAMES


def test_the_request_comes_from_the_environment_or_the_command_line():
    env = {"MVAD_JOB_NAME": "train_chunk", "MVAD_JOB_PAYLOAD": '{"model_id": "m", "until_epoch": 10}',
           "MVAD_JOB_ID": "j1"}
    assert parse_request([], env) == JobRequest("train_chunk", {"model_id": "m", "until_epoch": 10}, "j1")
    assert parse_request(["finalize_training", "--payload", '{"model_id": "n"}'], env) == JobRequest(
        "finalize_training", {"model_id": "n"}, "j1")


@pytest.mark.parametrize("argv, env, words", [
    ([], {}, "unknown job ''"),
    (["delete_everything"], {}, "unknown job 'delete_everything'"),
    (["train_chunk", "--payload", "{model_id: 1}"], {}, "not JSON"),
    (["train_chunk", "--payload", "[1, 2]"], {}, "JSON object"),
])
def test_an_invalid_request_is_refused(argv, env, words):
    with pytest.raises(UsageError, match=words):
        parse_request(argv, env)
    assert main(argv, env) == EXIT_USAGE


def test_a_payload_that_does_not_fit_the_job_is_a_usage_error_and_recorded(env, settings):
    argv = ["train_chunk", "--payload", '{"modelId": "m", "untilEpoch": 10}', "--job-id", "bad-args"]
    assert main(argv, env) == EXIT_USAGE
    document = _outcome(settings, "bad-args")
    assert document["jobName"] == "train_chunk" and "bad payload for train_chunk" in document["failure"]


def test_a_data_error_is_an_outcome_and_exits_zero(env, settings, capsys):
    data_url = upload_data(settings)
    model_id = create_model(settings, data_url.replace("tiny.csv", "missing.csv"))
    argv = ["prepare_training", "--payload", json.dumps({"model_id": model_id}), "--job-id", "data-error"]
    assert main(argv, env) == EXIT_OK
    result = _outcome(settings, "data-error")["result"]
    assert result["error"]["code"] == "FileNotExist" and "missing.csv" in result["error"]["message"]
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == _outcome(settings, "data-error")


def test_a_deleted_model_is_an_outcome_too(env, settings):
    argv = ["train_chunk", "--payload", '{"model_id": "8d0b7b3e-9c47-4ac2-9b57-5d7c4f0e4a11", "until_epoch": 2}',
            "--job-id", "gone"]
    assert main(argv, env) == EXIT_OK
    assert _outcome(settings, "gone") == {"jobName": "train_chunk", "result": {"cancelled": True}}


def test_a_transient_failure_exits_non_zero_with_its_reason(env, settings):
    model_id = create_model(settings, upload_data(settings))  # never prepared: the training data is missing
    env = {**env, "MVAD_JOB_NAME": "train_chunk", "MVAD_JOB_ID": "transient",
           "MVAD_JOB_PAYLOAD": json.dumps({"model_id": model_id, "until_epoch": 2})}
    assert main([], env) == EXIT_TRANSIENT
    document = _outcome(settings, "transient")
    assert document["jobName"] == "train_chunk" and "result" not in document
    assert document["failure"].startswith("RuntimeError: the prepared data of model " + model_id)


def test_without_a_job_id_the_outcome_is_only_printed(env, settings, capsys):
    argv = ["finalize_training", "--payload", '{"model_id": "8d0b7b3e-9c47-4ac2-9b57-5d7c4f0e4a12"}']
    assert main(argv, env) == EXIT_OK
    assert json.loads(capsys.readouterr().out.strip()) == {"jobName": "finalize_training",
                                                           "result": {"cancelled": True}}
    assert list(get_storage(settings).container(MODELS).list_blobs(name_starts_with="jobs/")) == []
