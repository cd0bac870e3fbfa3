"""The local host's inbox poller (devhost/inbox.py) against Azurite: it calls an app's blob trigger once per blob
version, with the blob's name and content and a working Durable client, and retries a failing call a few times."""
from __future__ import annotations

import threading
import time

import azure.durable_functions as df
import azure.functions as func
import pytest
from service_fixtures import make_settings

from devhost.durable import DurableRuntime
from devhost.functions import index_app
from devhost.inbox import MAX_ATTEMPTS, BlobTriggerPoller
from devhost.instances import InstanceStore
from devhost.server import LocalHost
from service.storage import INBOX, get_storage

CALLS: list[tuple[str, bytes, str]] = []  # (blob name, content, started instance id)
FAILING = set()  # names whose call raises


def _make_app() -> df.DFApp:
    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.blob_trigger(arg_name="blob", path="inbox/{name}", connection="AzureWebJobsStorage",
                      source=func.BlobSource.EVENT_GRID)
    @app.durable_client_input(client_name="client")
    async def on_blob(blob: func.InputStream, client) -> None:
        if blob.name.rsplit("/", 1)[-1] in FAILING:
            raise ConnectionError("storage is away")
        instance_id = await client.start_new("echo", None, {"name": blob.name})
        CALLS.append((blob.name, blob.read(), instance_id))

    @app.orchestration_trigger(context_name="context")
    def echo(context: df.DurableOrchestrationContext):
        return context.get_input()
        yield  # a generator, as orchestrators are

    return app


FUNCTIONS = index_app(_make_app(), prefix="api")


@pytest.fixture
def poller(azurite):
    settings = make_settings(azurite)
    runtime = DurableRuntime(FUNCTIONS, InstanceStore(azurite, prefix=settings.container_prefix))
    host = LocalHost(FUNCTIONS, runtime, port=0)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    CALLS.clear()
    FAILING.clear()
    yield BlobTriggerPoller(host, settings, interval=0.1), settings, runtime
    host.close()


def test_each_blob_version_is_handed_over_once_with_a_working_durable_client(poller):
    poller, settings, runtime = poller
    assert poller.poll_once() == 0  # no inbox container yet
    inbox = get_storage(settings).container(INBOX)
    inbox.upload_blob("m/a.csv", b"a1")
    inbox.upload_blob("m/b.csv", b"b1")
    assert poller.poll_once() == 2 and poller.poll_once() == 0
    container = f"{settings.container_prefix}inbox"
    assert sorted((name, data) for name, data, _ in CALLS) == [(f"{container}/m/a.csv", b"a1"),
                                                               (f"{container}/m/b.csv", b"b1")]
    inbox.upload_blob("m/a.csv", b"a2", overwrite=True)  # a new version
    assert poller.poll_once() == 1 and CALLS[-1][:2] == (f"{container}/m/a.csv", b"a2")
    deadline = time.monotonic() + 10
    while any(runtime.get(i).status != "Completed" for *_, i in CALLS) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [runtime.get(i).output for *_, i in CALLS][-1] == {"name": f"{container}/m/a.csv"}


def test_a_failing_call_is_retried_then_given_up(poller):
    poller, settings, _ = poller
    FAILING.add("bad.csv")
    get_storage(settings).container(INBOX).upload_blob("m/bad.csv", b"x")
    assert [poller.poll_once() for _ in range(MAX_ATTEMPTS + 2)] == [0] * (MAX_ATTEMPTS + 2)
    FAILING.clear()  # given up: not called again although it would succeed now
    assert poller.poll_once() == 0 and CALLS == []


def test_the_thread_polls_until_stopped(poller):
    poller, settings, _ = poller
    poller.start()
    get_storage(settings).container(INBOX).upload_blob("m/c.csv", b"c")
    deadline = time.monotonic() + 10
    while not CALLS and time.monotonic() < deadline:
        time.sleep(0.05)
    poller.stop()
    assert [data for _, data, _ in CALLS] == [b"c"]
