"""What the orchestrations share: the retry policy, the data-error convention and the chunk arithmetic."""
from __future__ import annotations

from typing import Any, Callable

import azure.durable_functions as df

from mvad_engine.errors import MvadError

# Transient failures (storage hiccups, a killed worker) are retried by Durable with this policy; data errors never
# reach it because the activities turn `MvadError` into a returned value.
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=3)

# The error code recorded when an activity still fails after all retries.
EXHAUSTED_CODE = "InternalServerError"


def data_errors_as_result(job: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    """Run `job`; an `MvadError` becomes `{"error": {"code", "message"}}` (a result, so Durable won't retry it)."""
    try:
        return job() or {}
    except MvadError as error:
        return {"error": {"code": error.code, "message": error.message}}


def call_with_retry(context: df.DurableOrchestrationContext, activity: str, payload: dict, retry: df.RetryOptions):
    """(Orchestrator helper, use with `yield from`.) The activity's result; one that still fails after the retries
    comes back as an `InternalServerError` error result, like a data error."""
    try:
        return (yield context.call_activity_with_retry(activity, retry, payload))
    except Exception as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        message = f"{activity} failed after {retry.max_number_of_attempts} attempts: {detail}"
        return {"error": {"code": EXHAUSTED_CODE, "message": message[:1000]}}


def chunk_ends(epochs: int, epochs_per_chunk: int) -> list[int]:
    """The epoch each training chunk trains until: 25 epochs by 10 -> [10, 20, 25]."""
    if epochs < 1 or epochs_per_chunk < 1:
        raise ValueError(f"epochs ({epochs}) and epochs per chunk ({epochs_per_chunk}) must be positive")
    return [*range(epochs_per_chunk, epochs, epochs_per_chunk), epochs]
