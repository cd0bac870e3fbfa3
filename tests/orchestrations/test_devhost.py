"""The local host: route matching, the Durable client API over HTTP, replay with retries, terminate, resume.

A small app (HTTP starter with a Durable client binding, an orchestrator, activities) runs on an in-process
LocalHost on a free port, with its instances in a fresh Azurite table.
"""
from __future__ import annotations

import json
import threading
import time

import azure.durable_functions as df
import azure.functions as func
import pytest
import requests

from devhost.durable import DurableRuntime
from devhost.functions import _template_pattern, index_app
from devhost.instances import InstanceStore
from devhost.replay import Instance, ReplayRunner
from devhost.server import LocalHost

FAST_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=20, max_number_of_attempts=3)


class Activities:
    """The activities' behaviour and what they saw; reset per test."""

    def __init__(self):
        self.calls: list[tuple[str, object]] = []
        self.flaky_failures = 0  # how many times `flaky` fails before it succeeds
        self.gate = threading.Event()  # `wait` blocks on it
        self.gate.set()


ACTIVITIES = Activities()


def _make_app() -> df.DFApp:
    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="start/{name}", methods=["POST"])
    @app.durable_client_input(client_name="client")
    async def start(req: func.HttpRequest, client) -> func.HttpResponse:
        instance_id = await client.start_new(req.route_params["name"], req.params.get("id"), req.get_json())
        return client.create_check_status_response(req, instance_id)

    @app.route(route="instances/{instanceId}", methods=["GET"])
    @app.durable_client_input(client_name="client")
    async def status(req: func.HttpRequest, client) -> func.HttpResponse:
        found = await client.get_status(req.route_params["instanceId"])
        return func.HttpResponse(json.dumps({"status": found.runtime_status.value if found.runtime_status else None,
                                             "output": found.output, "custom": found.custom_status}))

    @app.route(route="instances/{instanceId}:terminate", methods=["POST"])
    @app.durable_client_input(client_name="client")
    async def terminate(req: func.HttpRequest, client) -> func.HttpResponse:
        await client.terminate(req.route_params["instanceId"], "test says stop")
        return func.HttpResponse(status_code=204)

    @app.route(route="echo/{*rest}", methods=["GET", "PUT"])
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(json.dumps({"rest": req.route_params["rest"], "q": dict(req.params),
                                             "key": req.headers.get("x-key")}), status_code=201,
                                 headers={"X-Extra": "1"}, mimetype="application/json")

    @app.orchestration_trigger(context_name="context")
    def pipeline(context: df.DurableOrchestrationContext):
        first = yield context.call_activity("record", {"step": 1, **(context.get_input() or {})})
        try:
            second = yield context.call_activity_with_retry("flaky", FAST_RETRY, {"step": 2})
        except Exception as error:
            second = f"gave up: {str(error).splitlines()[0]}"
        context.set_custom_status({"after": 2})
        yield context.call_activity("wait", {"step": 3})
        parallel = yield context.task_all([context.call_activity("record", {"step": 4, "i": i}) for i in range(3)])
        return {"first": first, "second": second, "parallel": parallel}

    @app.activity_trigger(input_name="payload")
    def record(payload: dict) -> dict:
        ACTIVITIES.calls.append(("record", payload))
        return payload

    @app.activity_trigger(input_name="payload")
    def flaky(payload: dict) -> str:
        ACTIVITIES.calls.append(("flaky", payload))
        if sum(name == "flaky" for name, _ in ACTIVITIES.calls) <= ACTIVITIES.flaky_failures:
            raise ConnectionError("storage is away")
        return "ok"

    @app.activity_trigger(input_name="payload")
    def wait(payload: dict) -> None:
        ACTIVITIES.calls.append(("wait", payload))
        ACTIVITIES.gate.wait(30)

    return app


# get_functions() indexes an app once (a second call reports duplicate names), as the worker does.
FUNCTIONS = index_app(_make_app(), prefix="api")


@pytest.fixture
def activities():
    global ACTIVITIES
    ACTIVITIES.calls.clear()
    ACTIVITIES.flaky_failures = 0
    ACTIVITIES.gate.set()
    yield ACTIVITIES
    ACTIVITIES.gate.set()


@pytest.fixture
def store(azurite, unique_name) -> InstanceStore:
    return InstanceStore(azurite, prefix=unique_name)


@pytest.fixture
def host(store):
    functions = FUNCTIONS
    local = LocalHost(functions, DurableRuntime(functions, store), port=0)
    threading.Thread(target=local.serve_forever, daemon=True).start()
    yield local
    local.close()


def _wait_for(host: LocalHost, instance_id: str, statuses=("Completed", "Failed", "Terminated"), timeout=30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = requests.get(f"{host.base_url}/api/instances/{instance_id}", timeout=5).json()
        if found["status"] in statuses:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{instance_id} did not reach {statuses}: {found}")


def test_route_templates():
    assert _template_pattern("multivariate/models/{modelId}").fullmatch("multivariate/models/abc")
    assert not _template_pattern("multivariate/models/{modelId}").fullmatch("multivariate/models/a/b")
    last = _template_pattern("multivariate/models/{modelId}:detect-last")
    assert last.fullmatch("multivariate/models/abc:detect-last").group("modelId") == "abc"
    assert _template_pattern("files/{*path}").fullmatch("files/a/b/c").group("path") == "a/b/c"
    assert _template_pattern("items/{id:int}").fullmatch("items/42")
    assert _template_pattern("items/{id?}").fullmatch("items/")


def test_http_function_gets_request_and_answers(host):
    response = requests.put(f"{host.base_url}/api/echo/a/b%3Ac?x=1&y=", headers={"X-Key": "k"}, data=b"{}")
    assert response.status_code == 201
    assert response.headers["X-Extra"] == "1" and response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"rest": "a/b:c", "q": {"x": "1", "y": ""}, "key": "k"}
    assert requests.delete(f"{host.base_url}/api/echo/a").status_code == 405
    assert requests.get(f"{host.base_url}/api/nothing/here").status_code == 404
    assert requests.get(f"{host.base_url}/admin/host/status").json() == {"state": "Running"}


def test_orchestration_runs_through_the_client_with_retries(host, activities):
    activities.flaky_failures = 2  # succeeds at the third and last attempt
    started = requests.post(f"{host.base_url}/api/start/pipeline?id=run1", json={"tag": "x"})
    assert started.status_code == 202 and started.json()["id"] == "run1"
    assert "/runtime/webhooks/durabletask/instances/run1" in started.json()["statusQueryGetUri"]

    done = _wait_for(host, "run1")
    assert done["status"] == "Completed", done
    assert done["output"] == {"first": {"step": 1, "tag": "x"}, "second": "ok",
                              "parallel": [{"step": 4, "i": i} for i in range(3)]}
    assert done["custom"] == {"after": 2}
    names = [name for name, _ in activities.calls]
    # Replays never re-run a finished activity: each ran exactly as often as the orchestration asked.
    assert names == ["record", "flaky", "flaky", "flaky", "wait", "record", "record", "record"]


def test_retries_are_bounded_and_the_failure_reaches_the_orchestrator(host, activities):
    activities.flaky_failures = 99
    requests.post(f"{host.base_url}/api/start/pipeline?id=run2", json={})
    done = _wait_for(host, "run2")
    assert done["status"] == "Completed"
    assert done["output"]["second"].startswith("gave up: storage is away")
    assert [name for name, _ in activities.calls].count("flaky") == FAST_RETRY.max_number_of_attempts


def test_unknown_orchestrator_is_a_client_error(host):
    response = requests.post(f"{host.base_url}/api/start/nope", json={})
    assert response.status_code == 500  # the starter function raised the client's exception
    assert "nope" in response.text


def test_terminate_stops_a_running_instance(host, activities):
    activities.gate.clear()
    requests.post(f"{host.base_url}/api/start/pipeline?id=run3", json={})
    _wait_for(host, "run3", statuses=("Running",))
    deadline = time.monotonic() + 10
    while ("wait", {"step": 3}) not in activities.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert requests.post(f"{host.base_url}/api/instances/run3:terminate").status_code == 204
    activities.gate.set()  # the running activity ends; its result must not revive the instance
    time.sleep(0.5)
    found = _wait_for(host, "run3")
    assert found["status"] == "Terminated" and found["output"] == "test says stop"
    assert [name for name, _ in activities.calls].count("record") == 1
    # Terminating a finished instance is "gone" (410), which the client accepts quietly.
    assert requests.post(f"{host.base_url}/api/instances/run3:terminate").status_code == 204


def test_a_restarted_host_resumes_unfinished_instances(store, activities):
    functions = FUNCTIONS
    activities.gate.clear()
    first = DurableRuntime(functions, store)
    first.start_new("pipeline", "run4", json.dumps({"tag": "r"}))
    deadline = time.monotonic() + 10
    while ("wait", {"step": 3}) not in activities.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    first.shutdown()  # the host stops while the `wait` activity runs
    assert store.get("run4").status == "Running"

    activities.gate.set()
    second = DurableRuntime(functions, store)
    assert second.resume_unfinished() == 1
    deadline = time.monotonic() + 30
    while store.get("run4").status == "Running" and time.monotonic() < deadline:
        time.sleep(0.05)
    instance = store.get("run4")
    assert instance.status == "Completed", instance.output
    names = [name for name, _ in activities.calls]
    # Steps 1 and 2 were in the saved history; the interrupted `wait` ran again; step 4 ran once.
    assert names.count("flaky") == 1 and names.count("wait") == 2 and names.count("record") == 4


def test_orchestrator_exception_fails_the_instance(store):
    app = df.DFApp()

    @app.orchestration_trigger(context_name="context")
    def broken(context):
        yield context.call_activity("noop", None)
        raise ValueError("bad orchestration")

    @app.activity_trigger(input_name="payload")
    def noop(payload):
        return None

    functions = index_app(app, prefix="api")
    saved: list[str] = []
    instance = Instance("b1", "broken", None)
    ReplayRunner(functions.orchestrators, functions.activities, lambda i: saved.append(i.status)).run(
        instance, threading.Event())
    assert instance.status == "Failed" and "bad orchestration" in instance.output
    assert saved[-1] == "Failed"


def test_the_app_is_indexed_as_the_functions_host_would():
    import function_app

    functions = index_app(function_app.app)
    assert functions.route_prefix == "anomalydetector/v1.1"  # from host.json
    assert {"train_model_orchestrator", "detect_batch_orchestrator"} <= set(functions.orchestrators)
    assert {"prepare_training", "train_chunk", "finalize_training", "fail_model", "run_batch_detection",
            "fail_result"} <= set(functions.activities)
    for method, path in [("POST", "multivariate/models"), ("GET", "multivariate/models"),
                         ("GET", "multivariate/models/abc"), ("POST", "multivariate/models/abc:detect-last"),
                         ("POST", "multivariate/models/abc:detect-batch"), ("DELETE", "multivariate/models/abc"),
                         ("GET", "multivariate/models/abc/export"), ("GET", "multivariate/detect-batch/r1")]:
        route, params, _ = functions.find_route(method, path)
        assert route is not None, (method, path)
        assert route.client_param is None or route.client_param == "client"
