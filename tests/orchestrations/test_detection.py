"""The batch detection orchestrator: READY, data error, exhausted retries."""
from __future__ import annotations

from orchestrations.detection import detect_batch_orchestrator
from orchestration_fakes import FakeContext, run_orchestrator


def test_happy_path():
    context = FakeContext({"resultId": "r1"}, lambda name, payload: {})
    assert run_orchestrator(detect_batch_orchestrator, context) == {"resultId": "r1", "status": "READY"}
    assert context.calls == [("run_batch_detection", {"resultId": "r1"})]


def test_data_error_fails_the_result():
    error = {"code": "InvalidTimestamp", "message": "startTime is after endTime"}
    context = FakeContext({"resultId": "r2"}, lambda name, payload: {"error": error} if name == "run_batch_detection" else {})
    output = run_orchestrator(detect_batch_orchestrator, context)

    assert output["status"] == "FAILED" and output["error"] == error
    assert context.calls[-1] == ("fail_result", {"resultId": "r2", **error})


def test_exhausted_retries_fail_with_internal_server_error():
    def respond(name, payload):
        if name == "run_batch_detection":
            raise ConnectionError("storage timed out")
        return {}

    context = FakeContext({"resultId": "r3"}, respond)
    output = run_orchestrator(detect_batch_orchestrator, context)

    assert output["error"]["code"] == "InternalServerError"
    assert "storage timed out" in output["error"]["message"]
    assert [name for name, _ in context.calls] == ["run_batch_detection", "fail_result"]


def test_deleted_result_stops_quietly():
    context = FakeContext({"resultId": "r4"}, lambda name, payload: {"cancelled": True})
    assert run_orchestrator(detect_batch_orchestrator, context) == {"resultId": "r4", "status": "DELETED"}
    assert [name for name, _ in context.calls] == ["run_batch_detection"]
