"""Entry point of the worker image: run ONE compute job and record its outcome.

    python -m worker.main train_chunk --payload '{"model_id": "...", "until_epoch": 20}' [--job-id ID]

or, as a Container Apps job execution, with the environment variables ``MVAD_JOB_NAME``, ``MVAD_JOB_PAYLOAD`` (JSON)
and ``MVAD_JOB_ID``. The payload holds the keyword arguments of the `service.jobs` function of that name, which
reads and writes the same Blob and Table records as when the Function App runs the job itself.

With a job id the outcome goes to the blob ``jobs/{jobId}.json`` (`worker/outcome.py`); it is always printed too.
Exit status: 0 when the job ran (a data error, recorded as ``{"error": {code, message}}``, included),
1 on a transient failure (worth another execution), 2 when the request itself is invalid.
"""
from __future__ import annotations

import argparse
import inspect
import json
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from mvad_engine.errors import MvadError

# The heavy functions of service.jobs, as named by the compute backends (orchestrations/compute.py).
JOB_NAMES = ("prepare_training", "train_chunk", "finalize_training", "run_batch_detection")

EXIT_OK, EXIT_TRANSIENT, EXIT_USAGE = 0, 1, 2

log = logging.getLogger("worker")


class UsageError(Exception):
    """The job request is invalid: no job would ever succeed with it."""


@dataclass(frozen=True)
class JobRequest:
    job_name: str
    payload: dict[str, Any]
    job_id: str = ""


def parse_request(argv: Sequence[str], env: Mapping[str, str]) -> JobRequest:
    """The job from the command line, else from ``MVAD_JOB_NAME`` / ``MVAD_JOB_PAYLOAD`` / ``MVAD_JOB_ID``."""
    parser = argparse.ArgumentParser(prog="python -m worker.main", description="Run one Open MVAD compute job.")
    parser.add_argument("job_name", nargs="?", default=env.get("MVAD_JOB_NAME", ""), help=" | ".join(JOB_NAMES))
    parser.add_argument("--payload", default=env.get("MVAD_JOB_PAYLOAD", "{}"), help="the job's arguments (JSON)")
    parser.add_argument("--job-id", default=env.get("MVAD_JOB_ID", ""), help="names the outcome blob")
    args = parser.parse_args(list(argv))
    if args.job_name not in JOB_NAMES:
        raise UsageError(f"unknown job {args.job_name!r}; choose one of: {', '.join(JOB_NAMES)}")
    try:
        payload = json.loads(args.payload)
    except json.JSONDecodeError as error:
        raise UsageError(f"the job payload is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise UsageError("the job payload must be a JSON object of the job's arguments")
    return JobRequest(args.job_name, payload, args.job_id)


def run_job(request: JobRequest, settings=None) -> dict[str, Any]:
    """Call the `service.jobs` function; a data error (`MvadError`) is returned as ``{"error": ...}``."""
    from service import jobs  # the engine (torch) loads only once the request is known to be valid

    job = getattr(jobs, request.job_name)
    try:
        arguments = inspect.signature(job).bind(**request.payload, settings=settings)
    except TypeError as error:
        raise UsageError(f"bad payload for {request.job_name}: {error}") from None
    try:
        return job(*arguments.args, **arguments.kwargs) or {}
    except MvadError as error:
        return {"error": {"code": error.code, "message": error.message}}


def _record(request: JobRequest, document: dict, settings) -> None:
    print(json.dumps(document), flush=True)
    if request.job_id:
        from service.storage import get_storage
        from worker.outcome import write_outcome

        write_outcome(get_storage(settings), request.job_id, document)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)  # the SDKs log every HTTP request at INFO
    env = os.environ if env is None else env
    argv = sys.argv[1:] if argv is None else argv
    try:
        request = parse_request(argv, env)
    except UsageError as error:
        log.error("%s", error)
        return EXIT_USAGE

    from service.settings import Settings

    settings = Settings.from_env(env)
    log.info("job %s (%s) starting", request.job_name, request.job_id or "no id")
    try:
        document = {"jobName": request.job_name, "result": run_job(request, settings)}
    except UsageError as error:
        log.error("%s", error)
        _record_failure(request, str(error), settings)
        return EXIT_USAGE
    except Exception as error:  # transient: storage, the GPU, the node; another execution may well succeed
        log.exception("job %s failed", request.job_name)
        _record_failure(request, f"{type(error).__name__}: {error}", settings)
        return EXIT_TRANSIENT
    try:
        _record(request, document, settings)
    except Exception:
        log.exception("could not record the outcome of job %s", request.job_name)
        return EXIT_TRANSIENT
    log.info("job %s done", request.job_name)
    return EXIT_OK


def _record_failure(request: JobRequest, message: str, settings) -> None:
    """Best effort: the backend reports this message if no later execution succeeds."""
    try:
        _record(request, {"jobName": request.job_name, "failure": message[:1000]}, settings)
    except Exception:
        log.exception("could not record the failure of job %s", request.job_name)


if __name__ == "__main__":
    sys.exit(main())
