"""The orchestrators' wait-and-check loop for jobs that run as Container Apps executions, under the local host's
Durable replay runner (real replay, real timers) and the SDK's generator wrapper; activities answer as the
Container Apps backend does: ``{"pending": execution}``, then the outcome or ``{"lost": reason}``."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from azure.durable_functions.models.history.HistoryEventType import HistoryEventType as Event

from devhost.replay import Instance, ReplayRunner
from orchestrations import compute, detection
from orchestration_fakes import RemoteJobs, TimedContext, indexed_functions, run_orchestrator, still

FUNCTIONS = indexed_functions()
pytestmark = pytest.mark.usefixtures("fast_retries")


def _replay(name: str, input_: dict, jobs: RemoteJobs) -> Instance:
    activities = {n: ((lambda n: lambda payload: jobs.answer(n, payload))(n), "payload")
                  for n in ("prepare_training", "train_chunk", "finalize_training", "fail_model",
                            "run_batch_detection", "fail_result")}
    runner = ReplayRunner(FUNCTIONS.orchestrators, activities, lambda instance: None)
    instance = Instance("id1", name, json.dumps(input_))
    runner.run(instance, threading.Event())
    return instance


def test_training_waits_for_each_execution_and_checks_until_its_outcome():
    jobs = RemoteJobs({
        "prepare_training": [[still, {"epochs": 20, "epochsPerChunk": 10}]],
        "train_chunk": [[still, still, lambda p: {"epochsDone": p["untilEpoch"]}],
                        [lambda p: {"epochsDone": p["untilEpoch"]}]],
        "finalize_training": [[{"status": "READY"}]],
    })
    instance = _replay("train_model_orchestrator", {"modelId": "m1"}, jobs)

    assert instance.status == "Completed" and instance.output == {"modelId": "m1", "status": "READY"}
    assert instance.custom_status == {"epochsDone": 20, "epochs": 20}
    starts = [(n, p.get("untilEpoch")) for n, p in jobs.calls if "execution" not in p]
    assert starts == [("prepare_training", None), ("train_chunk", 10), ("train_chunk", 20), ("finalize_training", None)]
    checks = [(n, p["execution"]["execution"]) for n, p in jobs.calls if "execution" in p]
    assert checks == [("prepare_training", "prepare_training-1")] * 2 + [("train_chunk", "train_chunk-1")] * 3 + [
        ("train_chunk", "train_chunk-2"), ("finalize_training", "finalize_training-1")]
    # a check carries the job's own payload too, so the activity knows which job it is
    assert all(p["modelId"] == "m1" for _, p in jobs.calls)
    # each check waited on a durable timer first
    timers = [e for e in instance.history if e["EventType"] == Event.TIMER_CREATED]
    assert len(timers) == len(checks)


def test_a_lost_execution_is_started_again_and_its_job_resumes():
    jobs = RemoteJobs({
        "prepare_training": [[{"epochs": 10, "epochsPerChunk": 10}]],
        "train_chunk": [[still, {"lost": "execution train_chunk-1 ended Failed: CUDA error"}],
                        [{"epochsDone": 10}]],
        "finalize_training": [[{"status": "READY"}]],
    })
    instance = _replay("train_model_orchestrator", {"modelId": "m2"}, jobs)

    assert instance.output == {"modelId": "m2", "status": "READY"}
    assert jobs.started["train_chunk"] == 2
    restarted = [p for n, p in jobs.calls if n == "train_chunk" and "execution" not in p]
    assert restarted == [{"modelId": "m2", "untilEpoch": 10}] * 2  # the same job again: it resumes from its checkpoint
    assert not any(n == "fail_model" for n, _ in jobs.calls)


def test_executions_lost_again_and_again_fail_the_model():
    lost = {"lost": "execution ended Failed: node lost"}
    jobs = RemoteJobs({"prepare_training": [[lost]] * 5})
    instance = _replay("train_model_orchestrator", {"modelId": "m3"}, jobs)

    assert jobs.started["prepare_training"] == compute.MAX_STARTS
    assert instance.status == "Completed" and instance.output["status"] == "FAILED"
    name, failure = jobs.calls[-1]
    assert name == "fail_model" and failure["code"] == "InternalServerError"
    assert "3 job executions" in failure["message"] and "node lost" in failure["message"]


def test_a_data_error_found_by_a_check_fails_the_result_without_retry():
    error = {"code": "FileNotExist", "message": "the data blob does not exist"}
    jobs = RemoteJobs({"run_batch_detection": [[still, {"error": error}]]})
    instance = _replay("detect_batch_orchestrator", {"resultId": "r1"}, jobs)

    assert instance.output == {"resultId": "r1", "status": "FAILED", "error": error}
    assert jobs.started == {"run_batch_detection": 1}
    assert jobs.calls[-1] == ("fail_result", {"resultId": "r1", **error})


def test_jobs_answered_at_once_take_no_timer():
    """The local backend answers the outcome from the first call: no wait, no second call (as before)."""
    calls = []

    def answer(name):
        def call(payload):
            calls.append(name)
            return {"prepare_training": {"epochs": 10, "epochsPerChunk": 10}, "train_chunk": {"epochsDone": 10},
                    "finalize_training": {"status": "READY"}}[name]
        return call, "payload"

    runner = ReplayRunner(FUNCTIONS.orchestrators, {n: answer(n) for n in ("prepare_training", "train_chunk",
                                                                            "finalize_training")}, lambda i: None)
    instance = Instance("id2", "train_model_orchestrator", '{"modelId": "m4"}')
    runner.run(instance, threading.Event())
    assert instance.output == {"modelId": "m4", "status": "READY"}
    assert calls == ["prepare_training", "train_chunk", "finalize_training"]
    assert not [e for e in instance.history if e["EventType"] == Event.TIMER_CREATED]


def test_waits_grow_from_ten_seconds_to_the_poll_interval_and_restart_after_a_loss():
    jobs = RemoteJobs({"run_batch_detection": [[still] * 5 + [{"lost": "gone"}],
                                               [still, {"status": "READY", "results": 3}]]}, poll_seconds=60)
    context = TimedContext({"resultId": "r2"}, jobs.answer)
    output = run_orchestrator(detection.detect_batch_orchestrator, context)

    assert output == {"resultId": "r2", "status": "READY"}
    assert context.waits == [10, 20, 40, 60, 60, 60, 10, 20]
    assert timedelta(seconds=sum(context.waits)) == context.current_utc_datetime - datetime(2026, 1, 1,
                                                                                            tzinfo=timezone.utc)
