"""The training orchestrator: chunking, the happy path, data errors (no retry) and exhausted retries."""
from __future__ import annotations

import pytest

from orchestrations.retry import RETRY, chunk_ends
from orchestrations.training import train_model_orchestrator
from orchestration_fakes import FakeContext, run_orchestrator


@pytest.mark.parametrize("epochs, per_chunk, expected", [
    (100, 10, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]),
    (25, 10, [10, 20, 25]),
    (10, 10, [10]),
    (3, 10, [3]),
    (7, 1, [1, 2, 3, 4, 5, 6, 7]),
])
def test_chunk_ends(epochs, per_chunk, expected):
    assert chunk_ends(epochs, per_chunk) == expected


@pytest.mark.parametrize("epochs, per_chunk", [(0, 10), (10, 0), (-1, 5)])
def test_chunk_ends_rejects_non_positive(epochs, per_chunk):
    with pytest.raises(ValueError):
        chunk_ends(epochs, per_chunk)


def _trainer(epochs: int, per_chunk: int, fail_at: dict | None = None):
    """Answers the training activities as service.jobs would; `fail_at` maps an activity to its answer/exception."""
    fail_at = fail_at or {}

    def respond(name, payload):
        if name in fail_at:
            outcome = fail_at[name]
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        return {
            "prepare_training": {"epochs": epochs, "epochsPerChunk": per_chunk},
            "train_chunk": {"epochsDone": payload.get("untilEpoch")},
            "finalize_training": {},
            "fail_model": {},
        }[name]
    return respond


@pytest.mark.parametrize("epochs, per_chunk", [(100, 10), (25, 10), (3, 10)])
def test_happy_path_trains_every_chunk_then_finalises(epochs, per_chunk):
    context = FakeContext({"modelId": "m1"}, _trainer(epochs, per_chunk))
    output = run_orchestrator(train_model_orchestrator, context)

    assert output == {"modelId": "m1", "status": "READY"}
    names = [name for name, _ in context.calls]
    assert names[0] == "prepare_training" and names[-1] == "finalize_training"
    chunks = [payload["untilEpoch"] for name, payload in context.calls if name == "train_chunk"]
    assert chunks == chunk_ends(epochs, per_chunk)
    assert all(payload["modelId"] == "m1" for _, payload in context.calls)
    assert context.custom_status == {"epochsDone": epochs, "epochs": epochs}
    assert all(options is RETRY for options in context.retry_options)


def test_data_error_in_prepare_fails_the_model_without_training():
    error = {"code": "InvalidInputFormat", "message": "column 'a' of series.csv is not numeric"}
    context = FakeContext({"modelId": "m2"}, _trainer(10, 10, {"prepare_training": {"error": error}}))
    output = run_orchestrator(train_model_orchestrator, context)

    assert output["status"] == "FAILED" and output["error"] == error
    assert [name for name, _ in context.calls] == ["prepare_training", "fail_model"]
    assert context.calls[-1][1] == {"modelId": "m2", **error}


def test_data_error_in_a_chunk_stops_training():
    error = {"code": "NotEnoughInput", "message": "too few rows"}
    context = FakeContext({"modelId": "m3"}, _trainer(30, 10, {"train_chunk": {"error": error}}))
    output = run_orchestrator(train_model_orchestrator, context)

    assert output["status"] == "FAILED"
    assert [name for name, _ in context.calls] == ["prepare_training", "train_chunk", "fail_model"]


def test_exhausted_retries_fail_with_internal_server_error():
    context = FakeContext({"modelId": "m4"}, _trainer(30, 10, {"train_chunk": RuntimeError("blob store unreachable")}))
    output = run_orchestrator(train_model_orchestrator, context)

    assert output["status"] == "FAILED"
    name, payload = context.calls[-1]
    assert name == "fail_model" and payload["code"] == "InternalServerError"
    assert "train_chunk" in payload["message"] and "blob store unreachable" in payload["message"]


def test_model_deleted_before_training_stops_quietly():
    context = FakeContext({"modelId": "m6"}, _trainer(30, 10, {"prepare_training": {"cancelled": True}}))
    assert run_orchestrator(train_model_orchestrator, context) == {"modelId": "m6", "status": "DELETED"}
    assert [name for name, _ in context.calls] == ["prepare_training"]


def test_a_rerun_on_a_finished_model_does_not_train_again():
    context = FakeContext({"modelId": "m7"}, _trainer(30, 10, {
        "prepare_training": {"epochs": 30, "epochsPerChunk": 10, "status": "READY"}}))
    assert run_orchestrator(train_model_orchestrator, context) == {"modelId": "m7", "status": "READY"}
    assert [name for name, _ in context.calls] == ["prepare_training"]


def test_deleted_model_stops_quietly():
    context = FakeContext({"modelId": "m5"}, _trainer(30, 10, {"train_chunk": {"cancelled": True}}))
    output = run_orchestrator(train_model_orchestrator, context)

    assert output["status"] == "DELETED"
    assert [name for name, _ in context.calls] == ["prepare_training", "train_chunk"]
