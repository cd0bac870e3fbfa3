"""Compute backends: where the heavy activities (data preparation, training, batch detection) run.

An activity never calls the engine itself; it asks the configured backend to run a named job:

    get_backend(settings).run("train_chunk", {"model_id": "...", "until_epoch": 20})  ->  {"epochsDone": 20}

`local` (the default, `MVAD_COMPUTE_BACKEND=local`) runs the job in this process by calling `service.jobs`.
A Container Apps backend will start the same job as a GPU Container Apps job execution (the `worker/` image reads
the job name and payload and calls the same `service.jobs` function) and wait for its result; it plugs in here as
one more class with the same `run` method and one more name in `_BACKENDS`.
Errors keep their meaning across the seam: `MvadError` is a data error (no retry), anything else is transient.
"""
from __future__ import annotations

from typing import Any, Protocol

# The jobs a backend may run: the heavy functions of service.jobs.
JOB_NAMES = ("prepare_training", "train_chunk", "finalize_training", "run_batch_detection")


class ComputeBackend(Protocol):
    def run(self, job_name: str, payload: dict[str, Any]) -> dict[str, Any]: ...


class LocalBackend:
    """Runs a job in the current process (the Function App's worker, or the local host)."""

    def run(self, job_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        if job_name not in JOB_NAMES:
            raise ValueError(f"Unknown compute job {job_name!r}; known jobs: {', '.join(JOB_NAMES)}")
        from service import jobs  # imported late: the engine (torch) loads only where a job runs

        return getattr(jobs, job_name)(**payload) or {}


_BACKENDS = {"local": LocalBackend}


def get_backend(settings: Any) -> ComputeBackend:
    """The backend named by `settings.compute_backend` (`MVAD_COMPUTE_BACKEND`)."""
    name = (getattr(settings, "compute_backend", None) or "local").lower()
    if name not in _BACKENDS:
        raise ValueError(f"MVAD_COMPUTE_BACKEND={name!r} is not available; choose one of: {', '.join(_BACKENDS)}")
    return _BACKENDS[name]()
