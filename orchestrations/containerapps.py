"""The Container Apps compute backend (`MVAD_COMPUTE_BACKEND=containerapps`): each job is one execution of the
GPU Container Apps job that runs the worker image (`worker/`).

`run` starts an execution through the management API and answers at once with ``{"pending": execution}``; the
orchestrator waits on a durable timer and calls `check`, which answers the job's outcome (read from the blob the
worker writes, ``models/jobs/{jobId}.json``), ``{"pending": execution}`` while it runs, or ``{"lost": reason}`` when
the execution failed or vanished (the orchestrator then starts the job again: every job is idempotent).

Settings (the names `infra/modules/function-app.bicep` sets): `MVAD_SUBSCRIPTION_ID`,
`MVAD_CONTAINER_APPS_RESOURCE_GROUP`, `MVAD_CONTAINER_APPS_JOB_NAME`; the management API is reached with
`DefaultAzureCredential` (the user-assigned identity named by `AZURE_CLIENT_ID`), which needs the Container Apps
Jobs Operator role on the job.
"""
from __future__ import annotations

import functools
import json
import logging
import uuid
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers.models import EnvironmentVar, JobExecutionContainer, JobExecutionTemplate

from service.settings import Settings
from service.storage import MODELS, get_storage, job_outcome_blob

log = logging.getLogger(__name__)

NAME = "containerapps"
# Execution states that may still end well; any other end without an outcome is a lost execution.
_RUNNING_STATES = {"running", "processing", "unknown"}


def _settings_env(settings: Settings) -> dict[str, str]:
    """The service settings the worker must share with the Function App (the job template sets the storage ones)."""
    return {
        "MVAD_CONTAINER_PREFIX": settings.container_prefix,
        "MVAD_TRAIN_EPOCHS": str(settings.train_epochs),
        "MVAD_EPOCHS_PER_CHUNK": str(settings.epochs_per_chunk),
        "MVAD_ALLOWED_STORAGE_HOSTS": ",".join(settings.allowed_storage_hosts),
        "MVAD_MAX_SOURCE_BYTES": str(settings.max_source_bytes),
    }


class ContainerAppsBackend:
    """Starts jobs as executions of a Container Apps job and checks on them."""

    def __init__(self, settings: Settings, credential=None, **client_options: Any):
        missing = [name for name, value in (("MVAD_SUBSCRIPTION_ID", settings.subscription_id),
                                            ("MVAD_CONTAINER_APPS_RESOURCE_GROUP",
                                             settings.container_apps_resource_group),
                                            ("MVAD_CONTAINER_APPS_JOB_NAME", settings.container_apps_job_name))
                   if not value]
        if missing:
            raise ValueError(f"MVAD_COMPUTE_BACKEND={NAME!r} needs the settings {', '.join(missing)}")
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self._settings = settings
        self._group, self._job = settings.container_apps_resource_group, settings.container_apps_job_name
        self._client = ContainerAppsAPIClient(credential, settings.subscription_id, **client_options)

    def run(self, job_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Start one execution running `job_name`; answers ``{"pending": execution}``."""
        from orchestrations.compute import JOB_NAMES

        if job_name not in JOB_NAMES:
            raise ValueError(f"Unknown compute job {job_name!r}; known jobs: {', '.join(JOB_NAMES)}")
        job_id = uuid.uuid4().hex
        template = self._execution_template({
            "MVAD_JOB_NAME": job_name,
            "MVAD_JOB_PAYLOAD": json.dumps(payload),
            "MVAD_JOB_ID": job_id,
            **_settings_env(self._settings),
        })
        # polling=False: the start request answers with the execution's name; the orchestrator does the waiting.
        started = self._client.jobs.begin_start(self._group, self._job, template=template, polling=False).result()
        log.info("job %s (%s) started as execution %s of %s", job_name, job_id, started.name, self._job)
        return {"pending": {"backend": NAME, "jobName": job_name, "jobId": job_id, "execution": started.name,
                            "pollSeconds": self._settings.container_apps_poll_seconds}}

    def check(self, execution: dict[str, Any]) -> dict[str, Any]:
        """The outcome of a started job, ``{"pending": execution}`` while it runs, or ``{"lost": reason}``."""
        # The status first, then the outcome: a worker writes its outcome before its execution ends.
        name = execution["execution"]
        try:
            state = self._client.job_execution(self._group, self._job, name)
            status = str(getattr(state.status, "value", state.status) or "Unknown")
            ended = f"execution {name} ended {status}" + (f" ({state.message})" if state.message else "")
        except ResourceNotFoundError:
            status, ended = "NotFound", f"execution {name} no longer exists"
        running = status.lower() in _RUNNING_STATES
        document = self._take_outcome(execution["jobId"], keep=running)
        if document is not None and "result" in document:
            return document["result"]
        if running:
            return {"pending": execution}
        failure = (document or {}).get("failure")
        reason = f"{ended}: {failure}" if failure else f"{ended} without recording an outcome"
        log.warning("job %s (%s) lost: %s", execution["jobName"], execution["jobId"], reason)
        return {"lost": reason}

    def _execution_template(self, env: dict[str, str]) -> JobExecutionTemplate:
        """The job's own container (image, resources, command, settings) with `env` added: an execution's template
        replaces the job's, so everything the job defines is carried over."""
        job = self._client.jobs.get(self._group, self._job)
        containers = (job.properties.template.containers if job.properties and job.properties.template else None)
        if not containers:
            raise RuntimeError(f"Container Apps job {self._job} defines no container to run")
        base = containers[0]
        kept = [var for var in base.env or [] if var.name not in env]
        return JobExecutionTemplate(containers=[JobExecutionContainer(
            image=base.image, name=base.name, command=base.command, args=base.args, resources=base.resources,
            env=kept + [EnvironmentVar(name=name, value=value) for name, value in env.items()])])

    def _take_outcome(self, job_id: str, keep: bool) -> dict[str, Any] | None:
        """The worker's outcome document; removed once read, unless the job may still overwrite it."""
        storage, name = get_storage(self._settings), job_outcome_blob(job_id)
        data = storage.get_blob(MODELS, name)
        if data is None:
            return None
        document = json.loads(data)
        if "result" in document or not keep:
            storage.delete_blob(MODELS, name)
        return document


@functools.lru_cache(maxsize=4)
def backend_for(settings: Settings) -> ContainerAppsBackend:
    """One backend per settings for the whole process: its client and credential (with its token cache) are reused
    by every activity instead of fetching a token for each check."""
    return ContainerAppsBackend(settings)
