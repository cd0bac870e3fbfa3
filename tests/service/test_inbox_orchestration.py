"""The inbox's functions: the Event Grid blob trigger's binding, and the detection orchestration's outbox step
(run with the local host's replay of the Durable protocol, activities answered by the test)."""
from __future__ import annotations

import json
import threading

import azure.durable_functions as df

from devhost.functions import index_app
from devhost.replay import Instance, ReplayRunner
from orchestrations import detection, inbox


def _app() -> df.DFApp:
    """A fresh app with the blueprints (an app's functions may be listed once only, function_app.app's by its test)."""
    app = df.DFApp()
    app.register_functions(detection.bp)
    app.register_functions(inbox.bp)
    return app


FUNCTIONS = index_app(_app(), prefix="api")


def test_the_blob_trigger_is_an_event_grid_trigger_on_the_inbox_with_a_durable_client():
    [function] = [f for f in _app().get_functions() if f.get_function_name() == "inbox_blob_trigger"]
    bindings = {b["type"]: b for b in json.loads(function.get_function_json())["bindings"]}
    assert bindings["blobTrigger"] == {"direction": "IN", "type": "blobTrigger", "name": "blob",
                                       "path": "inbox/{name}", "connection": "AzureWebJobsStorage",
                                       "source": "EventGrid"}
    assert bindings["durableClient"]["name"] == "client"
    [trigger] = FUNCTIONS.blob_triggers
    assert (trigger.name, trigger.path, trigger.blob_param, trigger.client_param) == (
        "inbox_blob_trigger", "inbox/{name}", "blob", "client")


def _run(request: dict, respond) -> tuple[Instance, list]:
    calls = []

    def activity(name):
        def call(payload):
            calls.append((name, payload))
            return respond(name, payload)
        return call, "payload"

    runner = ReplayRunner(FUNCTIONS.orchestrators, {name: activity(name) for name in FUNCTIONS.activities},
                          save=lambda instance: None)
    instance = Instance(request["resultId"], "detect_batch_orchestrator", json.dumps(request))
    runner.run(instance, threading.Event())
    return instance, calls


def test_a_detection_from_the_inbox_ends_by_writing_the_outbox():
    instance, calls = _run({"resultId": "r1", "outbox": "m/x"}, lambda name, payload: {})
    assert instance.status == "Completed" and instance.output == {"resultId": "r1", "status": "READY"}
    assert calls == [("run_batch_detection", {"resultId": "r1"}), ("write_outbox", {"resultId": "r1", "outbox": "m/x"})]


def test_a_failed_detection_from_the_inbox_records_the_error_first():
    error = {"code": "NotEnoughInput", "message": "no data"}
    instance, calls = _run({"resultId": "r2", "outbox": "m/x"},
                           lambda name, payload: {"error": error} if name == "run_batch_detection" else {})
    assert instance.output == {"resultId": "r2", "status": "FAILED", "error": error}
    assert [name for name, _ in calls] == ["run_batch_detection", "fail_result", "write_outbox"]


def test_a_detection_from_the_api_writes_no_outbox():
    instance, calls = _run({"resultId": "r3"}, lambda name, payload: {})
    assert instance.output == {"resultId": "r3", "status": "READY"}
    assert [name for name, _ in calls] == ["run_batch_detection"]
