"""Compute backends: where the heavy activities (data preparation, training, batch detection) run.

An activity never calls the engine itself; it asks the configured backend to run a named job:

    get_backend(settings).run("train_chunk", {"model_id": "...", "until_epoch": 20})  ->  {"epochsDone": 20}

`local` (the default, `MVAD_COMPUTE_BACKEND=local`) runs the job in this process by calling `service.jobs`.
`containerapps` starts the same job as a GPU Container Apps job execution (the `worker/` image reads the job name
and payload and calls the same `service.jobs` function) and answers ``{"pending": execution}`` at once; the
orchestrator then waits on durable timers and has the activity `check` on the execution until its outcome comes
(`run_job` below, `advance_job` on the activity side). Orchestrators stay deterministic: all I/O is in activities.
Errors keep their meaning across the seam: `MvadError` is a data error (no retry), anything else is transient.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

import azure.durable_functions as df

from orchestrations.deadline import overdue
from orchestrations.retry import EXHAUSTED_CODE, call_with_retry

# The jobs a backend may run: the heavy functions of service.jobs.
JOB_NAMES = ("prepare_training", "train_chunk", "finalize_training", "run_batch_detection")

# A job whose execution fails or vanishes is started again, this many executions in all (jobs are idempotent:
# a training chunk resumes from the last checkpoint).
MAX_STARTS = 3
# The first wait before checking on an execution; each next wait doubles, up to the execution's `pollSeconds`.
FIRST_WAIT_SECONDS = 10


class ComputeBackend(Protocol):
    def run(self, job_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The job's outcome, or ``{"pending": execution}`` when it was started elsewhere."""

    def check(self, execution: dict[str, Any]) -> dict[str, Any]:
        """The outcome of a started job, ``{"pending": execution}`` while it runs, or ``{"lost": reason}``."""


class LocalBackend:
    """Runs a job in the current process (the Function App's worker, or the local host)."""

    def __init__(self, settings: Any = None):
        pass

    def run(self, job_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        if job_name not in JOB_NAMES:
            raise ValueError(f"Unknown compute job {job_name!r}; known jobs: {', '.join(JOB_NAMES)}")
        from service import jobs  # imported late: the engine (torch) loads only where a job runs

        return getattr(jobs, job_name)(**payload) or {}

    def check(self, execution: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("the local backend runs each job to its end; it has no execution to check")


def _container_apps(settings: Any) -> ComputeBackend:
    from orchestrations.containerapps import backend_for  # the management SDK loads only where used

    return backend_for(settings)


_BACKENDS = {"local": LocalBackend, "containerapps": _container_apps}


def get_backend(settings: Any, name: str | None = None) -> ComputeBackend:
    """The backend `name`, by default the one named by `settings.compute_backend` (`MVAD_COMPUTE_BACKEND`)."""
    name = (name or getattr(settings, "compute_backend", None) or "local").lower()
    if name not in _BACKENDS:
        raise ValueError(f"MVAD_COMPUTE_BACKEND={name!r} is not available; choose one of: {', '.join(_BACKENDS)}")
    return _BACKENDS[name](settings)


def advance_job(settings: Any, job_name: str, payload: dict[str, Any], execution: dict | None = None) -> dict:
    """(Activity side.) Start the job, or, given the execution an earlier call started, check on it."""
    if execution is None:
        return get_backend(settings).run(job_name, payload)
    return get_backend(settings, execution["backend"]).check(execution)


def run_job(context: df.DurableOrchestrationContext, activity: str, payload: dict, retry: df.RetryOptions,
            deadline: str | None = None):
    """(Orchestrator helper, use with `yield from`.) The outcome of the job behind `activity`.

    The activity answers the outcome itself (local backend: one call, as before), or ``{"pending": execution}``:
    then wait on a durable timer and call it again with ``execution`` added to the payload, until the outcome comes.
    A lost execution (``{"lost": reason}``) is started again, `MAX_STARTS` executions in all; after that the job
    fails with `InternalServerError`, like an activity that fails after its retries. Past `deadline` (the job's
    time limit, `orchestrations.deadline`) no step starts and no execution is waited for: the outcome is then
    `OperationTimeout`.
    """
    late = overdue(context, deadline)
    if late:
        return late
    outcome = yield from call_with_retry(context, activity, payload, retry)
    starts, checks = 1, 0
    while "pending" in outcome or "lost" in outcome:
        late = overdue(context, deadline)
        if late:
            return late
        if "lost" in outcome:
            if starts >= MAX_STARTS:
                message = f"{activity} failed in {starts} job executions; the last one: {outcome['lost']}"
                return {"error": {"code": EXHAUSTED_CODE, "message": message[:1000]}}
            starts, checks = starts + 1, 0
            outcome = yield from call_with_retry(context, activity, payload, retry)
            continue
        execution = outcome["pending"]
        wait = min(execution.get("pollSeconds", 60), FIRST_WAIT_SECONDS * 2 ** min(checks, 10))
        yield context.create_timer(context.current_utc_datetime + timedelta(seconds=wait))
        checks += 1
        outcome = yield from call_with_retry(context, activity, {**payload, "execution": execution}, retry)
    return outcome
