"""The real orchestrators under the Durable replay protocol (the local host's runner), activities faked."""
from __future__ import annotations

import threading

import pytest

from devhost.replay import Instance, ReplayRunner
from orchestration_fakes import indexed_functions

FUNCTIONS = indexed_functions()
pytestmark = pytest.mark.usefixtures("fast_retries")


def _run(name: str, input_json: str, activities: dict) -> tuple[Instance, list]:
    calls = []

    def fake(activity):
        def call(payload):
            calls.append((activity, payload))
            outcome = activities[activity](payload)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        return call, "payload"

    runner = ReplayRunner(FUNCTIONS.orchestrators, {name: fake(name) for name in activities}, lambda i: None)
    instance = Instance("id1", name, input_json)
    runner.run(instance, threading.Event())
    return instance, calls


def test_training_in_chunks_under_replay():
    instance, calls = _run("train_model_orchestrator", '{"modelId": "m1"}', {
        "prepare_training": lambda p: {"epochs": 25, "epochsPerChunk": 10},
        "train_chunk": lambda p: {"epochsDone": p["untilEpoch"]},
        "finalize_training": lambda p: {},
        "fail_model": lambda p: {},
    })
    assert instance.status == "Completed" and instance.output == {"modelId": "m1", "status": "READY"}
    assert [p.get("untilEpoch") for name, p in calls if name == "train_chunk"] == [10, 20, 25]
    assert instance.custom_status == {"epochsDone": 25, "epochs": 25}


def test_transient_failure_is_retried_then_exhausted_fails_the_model():
    instance, calls = _run("train_model_orchestrator", '{"modelId": "m2"}', {
        "prepare_training": lambda p: {"epochs": 20, "epochsPerChunk": 10},
        "train_chunk": lambda p: RuntimeError("worker lost") if p["untilEpoch"] == 20 else {"epochsDone": 10},
        "finalize_training": lambda p: {},
        "fail_model": lambda p: {},
    })
    names = [name for name, _ in calls]
    assert names == ["prepare_training", "train_chunk", "train_chunk", "train_chunk", "train_chunk", "fail_model"]
    assert instance.status == "Completed" and instance.output["status"] == "FAILED"
    assert calls[-1][1]["code"] == "InternalServerError" and "worker lost" in calls[-1][1]["message"]


def test_data_error_is_not_retried():
    error = {"code": "InvalidInputFormat", "message": "bad"}
    instance, calls = _run("detect_batch_orchestrator", '{"resultId": "r1"}', {
        "run_batch_detection": lambda p: {"error": error},
        "fail_result": lambda p: {},
    })
    assert [name for name, _ in calls] == ["run_batch_detection", "fail_result"]
    assert instance.output == {"resultId": "r1", "status": "FAILED", "error": error}
