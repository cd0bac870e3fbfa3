"""Batch detection: one detect activity (through the compute backend) -> READY, or FAILED with the error.

Orchestrator input: `{"resultId": id, "deadline": iso}` (`deadline`, optional, is the job's time limit:
`orchestrations.deadline`); the instance id is the result id. A detection started by a file in the inbox
also names its `outbox` (`{"resultId": id, "outbox": "{modelId}/{name}"}`): its last step writes the answer there.
"""
from __future__ import annotations

import azure.durable_functions as df

from orchestrations.compute import advance_job, run_job
from orchestrations.retry import RETRY, data_errors_as_result

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context")
def detect_batch_orchestrator(context: df.DurableOrchestrationContext):
    request = context.get_input()
    summary = yield from _detect(context, request["resultId"], request.get("deadline"))
    if request.get("outbox"):  # the write_outbox activity is registered by orchestrations/inbox.py
        yield context.call_activity_with_retry("write_outbox", RETRY,
                                               {"resultId": request["resultId"], "outbox": request["outbox"]})
    return summary


def _detect(context: df.DurableOrchestrationContext, result_id: str, deadline: str | None):
    outcome = yield from run_job(context, "run_batch_detection", {"resultId": result_id}, RETRY, deadline)
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
        lambda: advance_job(get_settings(), "run_batch_detection", {"result_id": payload["resultId"]},
                            payload.get("execution")))


@bp.activity_trigger(input_name="payload")
def fail_result(payload: dict) -> dict:
    from service import jobs

    return data_errors_as_result(lambda: jobs.fail_result(payload["resultId"], payload["code"], payload["message"]))
