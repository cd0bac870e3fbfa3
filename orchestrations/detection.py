"""Batch detection: one detect activity (through the compute backend) -> READY, or FAILED with the error.

Orchestrator input: `{"resultId": id}`; the instance id is the result id.
"""
from __future__ import annotations

import azure.durable_functions as df

from orchestrations.compute import get_backend
from orchestrations.retry import RETRY, call_with_retry, data_errors_as_result

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context")
def detect_batch_orchestrator(context: df.DurableOrchestrationContext):
    result_id = context.get_input()["resultId"]
    outcome = yield from call_with_retry(context, "run_batch_detection", {"resultId": result_id}, RETRY)
    if outcome.get("cancelled"):
        return {"resultId": result_id, "status": "DELETED"}
    if "error" in outcome:
        yield context.call_activity_with_retry("fail_result", RETRY, {"resultId": result_id, **outcome["error"]})
        return {"resultId": result_id, "status": "FAILED", "error": outcome["error"]}
    return {"resultId": result_id, "status": "READY"}


@bp.activity_trigger(input_name="payload")
def run_batch_detection(payload: dict) -> dict:
    from service.settings import get_settings

    return data_errors_as_result(
        lambda: get_backend(get_settings()).run("run_batch_detection", {"result_id": payload["resultId"]}))


@bp.activity_trigger(input_name="payload")
def fail_result(payload: dict) -> dict:
    from service import jobs

    return data_errors_as_result(lambda: jobs.fail_result(payload["resultId"], payload["code"], payload["message"]))
