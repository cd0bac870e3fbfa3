"""The Container Apps backend against a fake management API: the real SDK client builds and sends the requests, a
`requests` adapter answers the ARM routes with the shapes Azure answers, and the outcome blobs live in Azurite."""
from __future__ import annotations

import dataclasses
import io
import json
import time
import uuid
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import urllib3
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import RequestsTransport

from orchestrations import compute
from orchestrations.containerapps import ContainerAppsBackend
from service.settings import Settings
from service.storage import MODELS, get_storage, job_outcome_blob
from worker.outcome import write_outcome

SUBSCRIPTION, GROUP, JOB = "00000000-0000-0000-0000-000000000001", "rg-mvad", "mvad-worker"
JOB_PATH = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.App/jobs/{JOB}"
TOKEN = "fake-arm-token"

# The job as `infra/modules/worker-job.bicep` defines it, as GET .../jobs/{job} answers it.
WORKER_CONTAINER = {
    "name": "worker",
    "image": "crmvad.azurecr.io/open-mvad/worker-mvad:azd-deploy-1",
    "resources": {"cpu": 8.0, "memory": "56Gi", "ephemeralStorage": "8Gi"},
    "env": [{"name": "AZURE_CLIENT_ID", "value": "11111111-2222-3333-4444-555555555555"},
            {"name": "MVAD_STORAGE_ACCOUNT_URL", "value": "https://stmvad.blob.core.windows.net/"},
            {"name": "MVAD_COMPUTE_BACKEND", "value": "local"},
            {"name": "MVAD_EPOCHS_PER_CHUNK", "value": "99"}],  # a value the backend must override
}


class FakeArm(requests.adapters.BaseAdapter):
    """Answers GET job, POST job start (202 + the execution's name) and GET execution (its status) like ARM.

    `statuses` maps an execution name to its status; `on_start(name, env)` is told of every started execution.
    """

    def __init__(self, container: dict, on_start: Callable[[str, dict], None] | None = None):
        super().__init__()
        self.container, self.on_start = container, on_start
        self.calls: list[tuple[str, str, dict, dict | None]] = []  # method, path, query, JSON body
        self.statuses: dict[str, str] = {}
        self.start_status = 202

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = urlsplit(request.url)
        body = json.loads(request.body) if request.body else None
        self.calls.append((request.method, url.path, parse_qs(url.query), body))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(request, 401, {"error": {"code": "AuthenticationFailed", "message": "no token"}})
        if request.method == "GET" and url.path == JOB_PATH:
            return self._answer(request, 200, {"id": JOB_PATH, "name": JOB, "type": "Microsoft.App/jobs",
                                               "properties": {"provisioningState": "Succeeded",
                                                              "template": {"containers": [self.container]}}})
        if request.method == "POST" and url.path == JOB_PATH + "/start":
            if self.start_status != 202:
                return self._answer(request, self.start_status, {"error": {
                    "code": "AuthorizationFailed", "message": "The client does not have authorization"}})
            name = f"{JOB}-{uuid.uuid4().hex[:7]}"
            self.statuses[name] = "Running"
            if self.on_start:
                env = {var["name"]: var.get("value") for var in body["containers"][0]["env"]}
                self.on_start(name, env)
            return self._answer(request, 202, {"id": f"{JOB_PATH}/executions/{name}", "name": name},
                                {"Location": f"https://management.azure.com{JOB_PATH}/executions/{name}"})
        prefix = JOB_PATH + "/executions/"
        if request.method == "GET" and url.path.startswith(prefix):
            name = url.path[len(prefix):]
            if name not in self.statuses:
                return self._answer(request, 404, {"error": {"code": "ResourceNotFound", "message": name}})
            status = self.statuses[name]
            status = status() if callable(status) else status
            return self._answer(request, 200, {
                "id": url.path, "name": name, "type": "Microsoft.App/jobs/executions",
                "properties": {"status": status, "startTime": "2026-01-01T00:00:00Z",
                               **({"message": "Replica exited with code 1"} if status == "Failed" else {})}})
        return self._answer(request, 404, {"error": {"code": "NotFound", "message": url.path}})

    def close(self):
        pass

    @staticmethod
    def _answer(request, status: int, body: dict, headers: dict | None = None):
        raw = urllib3.HTTPResponse(body=io.BytesIO(json.dumps(body).encode()), status=status, preload_content=False,
                                   headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
        return requests.adapters.HTTPAdapter().build_response(request, raw)


class FakeCredential:
    def get_token(self, *scopes, **kwargs):
        assert scopes == ("https://management.azure.com/.default",)
        return AccessToken(TOKEN, int(time.time()) + 3600)


def container_apps_settings(azurite: str, **overrides) -> Settings:
    values = dict(storage_connection_string=azurite, container_prefix="t" + uuid.uuid4().hex[:12],
                  subscription_id=SUBSCRIPTION, container_apps_resource_group=GROUP, container_apps_job_name=JOB,
                  container_apps_poll_seconds=45, epochs_per_chunk=5, allowed_storage_hosts=("data.example.net",))
    values.update(overrides)
    return Settings(**values)


def make_backend(settings: Settings, arm: FakeArm) -> ContainerAppsBackend:
    session = requests.Session()
    session.mount("https://", arm)
    return ContainerAppsBackend(settings, credential=FakeCredential(),
                                transport=RequestsTransport(session=session, session_owner=False))


@pytest.fixture
def arm() -> FakeArm:
    return FakeArm(WORKER_CONTAINER)


@pytest.fixture
def settings(azurite) -> Settings:
    return container_apps_settings(azurite)


def test_run_starts_an_execution_of_the_job_with_the_job_in_its_environment(settings, arm):
    backend = make_backend(settings, arm)
    answer = backend.run("train_chunk", {"model_id": "m-1", "until_epoch": 20})

    execution = answer["pending"]
    assert set(answer) == {"pending"}
    assert execution["backend"] == "containerapps" and execution["jobName"] == "train_chunk"
    assert execution["execution"] in arm.statuses and execution["pollSeconds"] == 45
    (get_method, get_path, get_query, _), (method, path, query, body) = arm.calls
    assert (get_method, get_path) == ("GET", JOB_PATH)
    assert (method, path) == ("POST", JOB_PATH + "/start")
    assert query["api-version"] == get_query["api-version"] and query["api-version"][0] >= "2024"
    (container,) = body["containers"]
    # an execution's template replaces the job's: image, name and the GPU's resources are carried over
    assert container["image"] == WORKER_CONTAINER["image"] and container["name"] == "worker"
    assert container["resources"]["cpu"] == 8.0 and container["resources"]["memory"] == "56Gi"
    env = {var["name"]: var["value"] for var in container["env"]}
    assert env["AZURE_CLIENT_ID"] == "11111111-2222-3333-4444-555555555555"
    assert env["MVAD_COMPUTE_BACKEND"] == "local"
    assert env["MVAD_JOB_NAME"] == "train_chunk" and env["MVAD_JOB_ID"] == execution["jobId"]
    assert json.loads(env["MVAD_JOB_PAYLOAD"]) == {"model_id": "m-1", "until_epoch": 20}
    # the worker shares the Function App's service settings
    assert env["MVAD_EPOCHS_PER_CHUNK"] == "5" and env["MVAD_CONTAINER_PREFIX"] == settings.container_prefix
    assert env["MVAD_ALLOWED_STORAGE_HOSTS"] == "data.example.net"
    assert len(container["env"]) == len(env)  # no variable twice


def test_each_run_has_its_own_job_id(settings, arm):
    backend = make_backend(settings, arm)
    first, second = (backend.run("prepare_training", {"model_id": "m-2"})["pending"] for _ in range(2))
    assert first["jobId"] != second["jobId"] and first["execution"] != second["execution"]


def test_check_follows_the_execution_until_the_worker_outcome(settings, arm):
    backend = make_backend(settings, arm)
    execution = backend.run("train_chunk", {"model_id": "m-3", "until_epoch": 10})["pending"]
    assert backend.check(execution) == {"pending": execution}

    storage = get_storage(settings)
    write_outcome(storage, execution["jobId"], {"jobName": "train_chunk", "result": {"epochsDone": 10}})
    arm.statuses[execution["execution"]] = "Succeeded"
    assert backend.check(execution) == {"epochsDone": 10}
    assert storage.get_blob(MODELS, job_outcome_blob(execution["jobId"])) is None  # read once, then removed
    assert arm.calls[-1][0:2] == ("GET", f"{JOB_PATH}/executions/{execution['execution']}")


def test_an_outcome_counts_even_before_the_execution_is_reported_done(settings, arm):
    backend = make_backend(settings, arm)
    execution = backend.run("run_batch_detection", {"result_id": "r-1"})["pending"]
    error = {"code": "FileNotExist", "message": "the blob does not exist"}
    write_outcome(get_storage(settings), execution["jobId"], {"jobName": "run_batch_detection",
                                                              "result": {"error": error}})
    assert backend.check(execution) == {"error": error}  # a data error is an outcome, not a lost execution


def test_a_failed_execution_is_lost_with_the_workers_reason(settings, arm):
    backend = make_backend(settings, arm)
    execution = backend.run("train_chunk", {"model_id": "m-4", "until_epoch": 10})["pending"]
    storage = get_storage(settings)
    write_outcome(storage, execution["jobId"], {"jobName": "train_chunk", "failure": "OSError: disk full"})
    # while Container Apps may still retry the replica, the failure is not final
    assert backend.check(execution) == {"pending": execution}
    arm.statuses[execution["execution"]] = "Failed"
    lost = backend.check(execution)
    assert set(lost) == {"lost"}
    assert "OSError: disk full" in lost["lost"] and "Failed" in lost["lost"] and execution["execution"] in lost["lost"]
    assert storage.get_blob(MODELS, job_outcome_blob(execution["jobId"])) is None


@pytest.mark.parametrize("status, words", [("Succeeded", "without recording an outcome"),
                                           ("Stopped", "ended Stopped"),
                                           (None, "no longer exists")])
def test_an_execution_that_ends_without_outcome_is_lost(settings, arm, status, words):
    backend = make_backend(settings, arm)
    execution = backend.run("finalize_training", {"model_id": "m-5"})["pending"]
    if status is None:
        del arm.statuses[execution["execution"]]  # ARM answers 404
    else:
        arm.statuses[execution["execution"]] = status
    lost = backend.check(execution)
    assert set(lost) == {"lost"} and words in lost["lost"]


def test_a_refused_start_raises_as_a_transient_failure(settings, arm):
    arm.start_status = 403
    with pytest.raises(HttpResponseError, match="AuthorizationFailed"):
        make_backend(settings, arm).run("prepare_training", {"model_id": "m-6"})


def test_unknown_jobs_are_refused_before_any_request(settings, arm):
    with pytest.raises(ValueError, match="Unknown compute job"):
        make_backend(settings, arm).run("delete_everything", {})
    assert arm.calls == []


def test_missing_settings_are_named(azurite):
    with pytest.raises(ValueError, match="MVAD_CONTAINER_APPS_RESOURCE_GROUP, MVAD_CONTAINER_APPS_JOB_NAME"):
        ContainerAppsBackend(container_apps_settings(azurite, container_apps_resource_group="",
                                                     container_apps_job_name=""), credential=FakeCredential())


def test_the_backend_is_registered_and_checks_go_to_the_backend_that_started(settings, arm, monkeypatch):
    remote = dataclasses.replace(settings, compute_backend="containerapps")
    assert isinstance(compute.get_backend(remote), ContainerAppsBackend)
    monkeypatch.setitem(compute._BACKENDS, "containerapps", lambda s: make_backend(s, arm))
    execution = compute.advance_job(remote, "train_chunk", {"model_id": "m-7", "until_epoch": 5})["pending"]
    # the setting changed meanwhile (a redeploy): the execution is still checked where it runs
    assert settings.compute_backend == "local"
    assert compute.advance_job(settings, "train_chunk", {"model_id": "m-7", "until_epoch": 5},
                               execution) == {"pending": execution}


def test_the_settings_are_read_under_the_names_the_function_app_template_sets():
    env = {"MVAD_COMPUTE_BACKEND": "containerapps", "MVAD_SUBSCRIPTION_ID": SUBSCRIPTION,
           "MVAD_CONTAINER_APPS_RESOURCE_GROUP": GROUP, "MVAD_CONTAINER_APPS_JOB_NAME": JOB}
    template = (Path(__file__).resolve().parents[2] / "infra" / "modules" / "function-app.bicep").read_text()
    assert all(f"name: '{name}'" in template for name in env)
    settings = Settings.from_env(env)
    assert (settings.subscription_id, settings.container_apps_resource_group, settings.container_apps_job_name,
            settings.container_apps_poll_seconds) == (SUBSCRIPTION, GROUP, JOB, 60)
    backend = compute.get_backend(settings)  # DefaultAzureCredential: no call is made yet
    assert isinstance(backend, ContainerAppsBackend) and compute.get_backend(settings) is backend
