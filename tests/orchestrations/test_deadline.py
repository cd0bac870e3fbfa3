"""The job time limit: an orchestration past its deadline starts no further step, stops waiting on an execution,
and fails its model or result with `OperationTimeout`; one without a deadline (started before it existed) runs on."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from devhost.replay import Instance, ReplayRunner
from orchestrations import detection
from orchestrations.deadline import TIMEOUT_CODE, overdue, with_deadline
from orchestration_fakes import RemoteJobs, TimedContext, indexed_functions, run_orchestrator, still

FUNCTIONS = indexed_functions()
pytestmark = pytest.mark.usefixtures("fast_retries")
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime):
        self.current_utc_datetime = now


def test_with_deadline_adds_the_limit_to_the_input():
    started = with_deadline({"modelId": "m"}, 90, now=T0)
    assert started == {"modelId": "m", "deadline": "2026-01-01T01:30:00+00:00"}


def test_overdue_from_the_deadline_on():
    deadline = with_deadline({}, 1, now=T0)["deadline"]
    assert overdue(Clock(T0 + timedelta(seconds=59)), deadline) is None
    error = overdue(Clock(T0 + timedelta(seconds=60)), deadline)["error"]
    assert error["code"] == TIMEOUT_CODE and deadline in error["message"]
    assert overdue(Clock(T0 + timedelta(days=9)), None) is None  # no deadline, no limit


def _replay_training(deadline: datetime, chunk_seconds: dict[int, float]) -> tuple[Instance, list]:
    """The training orchestrator under the local host's replay runner (the SDK's clock comes from the history)."""
    calls = []

    def activity(name):
        def call(payload):
            calls.append((name, payload))
            if name == "prepare_training":
                return {"epochs": 30, "epochsPerChunk": 10}
            if name == "train_chunk":
                time.sleep(chunk_seconds.get(payload["untilEpoch"], 0))
                return {"epochsDone": payload["untilEpoch"]}
            return {}
        return call, "payload"

    names = ("prepare_training", "train_chunk", "finalize_training", "fail_model")
    runner = ReplayRunner(FUNCTIONS.orchestrators, {n: activity(n) for n in names}, lambda instance: None)
    instance = Instance("m1", "train_model_orchestrator", json.dumps({"modelId": "m1", "deadline": deadline.isoformat()}))
    runner.run(instance, threading.Event())
    return instance, calls


def test_a_training_past_its_deadline_stops_at_the_next_chunk_and_fails_the_model():
    deadline = datetime.now(timezone.utc) + timedelta(seconds=2)
    slow = (deadline - datetime.now(timezone.utc)).total_seconds() + 0.3  # chunk 20 ends after the deadline
    instance, calls = _replay_training(deadline, {20: slow})

    assert [(n, p.get("untilEpoch")) for n, p in calls] == [
        ("prepare_training", None), ("train_chunk", 10), ("train_chunk", 20), ("fail_model", None)]
    assert calls[-1][1]["code"] == TIMEOUT_CODE and calls[-1][1]["modelId"] == "m1"
    assert instance.status == "Completed" and instance.output["status"] == "FAILED"
    assert instance.output["error"]["code"] == TIMEOUT_CODE


def test_a_training_within_its_deadline_runs_to_the_end():
    instance, calls = _replay_training(datetime.now(timezone.utc) + timedelta(minutes=5), {})
    assert [n for n, _ in calls] == ["prepare_training", "train_chunk", "train_chunk", "train_chunk",
                                     "finalize_training"]
    assert instance.output == {"modelId": "m1", "status": "READY"}


def test_a_detection_stops_waiting_on_its_execution_at_the_deadline():
    jobs = RemoteJobs({"run_batch_detection": [[still]]}, poll_seconds=60)
    deadline = with_deadline({}, 5, now=T0)["deadline"]
    context = TimedContext({"resultId": "r1", "deadline": deadline}, jobs.answer)
    context.current_utc_datetime = T0
    output = run_orchestrator(detection.detect_batch_orchestrator, context)

    assert output["status"] == "FAILED" and output["error"]["code"] == TIMEOUT_CODE
    assert context.waits == [10, 20, 40, 60, 60, 60, 60]  # 310 s: the first check past 300 s is the last
    assert jobs.started == {"run_batch_detection": 1}
    assert context.calls[-1] == ("fail_result", {"resultId": "r1", **output["error"]})


def test_without_a_deadline_a_detection_waits_as_long_as_its_execution_runs():
    jobs = RemoteJobs({"run_batch_detection": [[still] * 40 + [{"status": "READY"}]]}, poll_seconds=600)
    context = TimedContext({"resultId": "r2"}, jobs.answer)
    assert run_orchestrator(detection.detect_batch_orchestrator, context) == {"resultId": "r2", "status": "READY"}
    assert sum(context.waits) > 5 * 3600
