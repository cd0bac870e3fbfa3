"""Training: prepare the data -> train in chunks of epochs (each resumes from the last checkpoint) -> finalise.

A data error from any step (`{"error": ...}` returned by the activity) fails the model with that error; a step that
still raises after the retries fails it with `InternalServerError`; a step that finds the model deleted
(`{"cancelled": true}`) ends the orchestration quietly; one past the job's deadline fails it with `OperationTimeout`.
Orchestrator input: `{"modelId": id, "deadline": iso}` (`deadline` optional); the instance id is the model id.
"""
from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrations.compute import advance_job, run_job
from orchestrations.retry import RETRY, chunk_ends, data_errors_as_result

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context")
def train_model_orchestrator(context: df.DurableOrchestrationContext):
    request = context.get_input()
    model_id, deadline = request["modelId"], request.get("deadline")
    plan = yield from run_job(context, "prepare_training", {"modelId": model_id}, RETRY, deadline)
    if "error" in plan or plan.get("cancelled"):
        return (yield from _end(context, model_id, plan))
    if plan.get("status") in ("READY", "FAILED"):  # a rerun after the model was finished
        return {"modelId": model_id, "status": plan["status"]}

    for until_epoch in chunk_ends(plan["epochs"], plan["epochsPerChunk"]):
        progress = yield from run_job(
            context, "train_chunk", {"modelId": model_id, "untilEpoch": until_epoch}, RETRY, deadline)
        if "error" in progress or progress.get("cancelled"):
            return (yield from _end(context, model_id, progress))
        context.set_custom_status({"epochsDone": progress["epochsDone"], "epochs": plan["epochs"]})

    done = yield from run_job(context, "finalize_training", {"modelId": model_id}, RETRY, deadline)
    if "error" in done or done.get("cancelled"):
        return (yield from _end(context, model_id, done))
    return {"modelId": model_id, "status": "READY"}


def _end(context: df.DurableOrchestrationContext, model_id: str, outcome: dict):
    """A deleted model just stops; an error fails the model with it."""
    if outcome.get("cancelled"):
        return {"modelId": model_id, "status": "DELETED"}
    yield context.call_activity_with_retry("fail_model", RETRY, {"modelId": model_id, **outcome["error"]})
    return {"modelId": model_id, "status": "FAILED", "error": outcome["error"]}


def _run(job_name: str, job_payload: dict[str, Any], payload: dict) -> dict[str, Any]:
    """Start the job (the local backend runs it here), or check on the execution named in `payload`."""
    from service.settings import get_settings

    return data_errors_as_result(
        lambda: advance_job(get_settings(), job_name, job_payload, payload.get("execution")))


@bp.activity_trigger(input_name="payload")
def prepare_training(payload: dict) -> dict:
    return _run("prepare_training", {"model_id": payload["modelId"]}, payload)


@bp.activity_trigger(input_name="payload")
def train_chunk(payload: dict) -> dict:
    return _run("train_chunk", {"model_id": payload["modelId"], "until_epoch": payload["untilEpoch"]}, payload)


@bp.activity_trigger(input_name="payload")
def finalize_training(payload: dict) -> dict:
    return _run("finalize_training", {"model_id": payload["modelId"]}, payload)


@bp.activity_trigger(input_name="payload")
def fail_model(payload: dict) -> dict:
    from service import jobs

    return data_errors_as_result(lambda: jobs.fail_model(payload["modelId"], payload["code"], payload["message"]))
