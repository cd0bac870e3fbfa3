"""Calling the app's HTTP functions directly: route matching like the host, a recording Durable client fake."""
from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import azure.durable_functions as df
import azure.functions as func
import numpy as np
import pandas as pd

import api
from service import jobs

BASE = "http://127.0.0.1:7071/anomalydetector/v1.1"
KEY, KEY2 = "primary-test-key", "secondary-test-key"


class FakeDurableClient:
    """Stands in for the Durable extension's client (part of the Functions host, which cannot run here)."""

    def __init__(self, fail: bool = False):
        self.started: list[tuple[str, str, dict]] = []
        self.terminated: list[tuple[str, str]] = []
        self.fail = fail

    async def start_new(self, orchestration_function_name, instance_id=None, client_input=None):
        if self.fail:
            raise RuntimeError("the task hub is unavailable")
        self.started.append((orchestration_function_name, instance_id, client_input))
        return instance_id

    def started_inputs(self, timeout_minutes: float = 360) -> list[tuple[str, str, dict]]:
        """`started`, each input's deadline checked (the job timeout from the start's moment) and removed."""
        now = datetime.now(timezone.utc)
        plain = []
        for name, instance_id, client_input in self.started:
            rest = dict(client_input)
            left = datetime.fromisoformat(rest.pop("deadline")) - now
            assert timedelta(minutes=timeout_minutes) - timedelta(minutes=1) < left <= timedelta(
                minutes=timeout_minutes), left
            plain.append((name, instance_id, rest))
        return plain

    async def terminate(self, instance_id, reason):
        self.terminated.append((instance_id, reason))
        raise Exception("instance not found")  # the real client raises when nothing is running; must be ignored


def _functions():
    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    app.register_functions(api.bp)
    routes = []
    for fn in app.get_functions():
        for binding in fn.get_bindings():
            if binding.type == "httpTrigger":
                pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", binding.route)
                methods = {str(m.value if hasattr(m, "value") else m).upper() for m in binding.methods}
                routes.append((re.compile(f"^{pattern}$"), methods, fn.get_user_function()))
    return routes


class ApiClient:
    def __init__(self, client: FakeDurableClient | None = None):
        self.client = client or FakeDurableClient()
        self.routes = _functions()

    def call(self, method: str, path: str, body=None, key: str | None = KEY, headers: dict | None = None,
             raw: bytes | None = None) -> func.HttpResponse:
        url = f"{BASE}/{path}"
        parts = urlsplit(url)
        relative = parts.path[len("/anomalydetector/v1.1/"):]
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            hdrs["Ocp-Apim-Subscription-Key"] = key
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        for pattern, methods, user_function in self.routes:
            match = pattern.match(relative)
            if match and method in methods:
                req = func.HttpRequest(method, url, headers=hdrs, params=dict(parse_qsl(parts.query)),
                                       route_params=match.groupdict(), body=data)
                inner = getattr(user_function, "client_function", None)
                if inner is not None:  # the blueprint wraps durable-client functions; call the code beneath
                    return asyncio.run(inner(req=req, client=self.client))
                return asyncio.run(user_function(req=req))
        raise AssertionError(f"no function serves {method} {relative}")


def assert_error(response, status: int, code: str):
    assert response.status_code == status
    assert response.headers["x-ms-error-code"] == code
    assert response.mimetype == "application/json"
    body = body_json(response)
    assert body["code"] == code and isinstance(body["message"], str) and body["message"]
    assert set(body) == {"code", "message"}  # top level, not wrapped in {"error": ...}
    return body


def body_json(response: func.HttpResponse):
    return json.loads(response.get_body())


def tiny_csv(rows: int = 120) -> bytes:
    rng = np.random.default_rng(1)
    t = np.arange(rows)
    table = pd.DataFrame({
        "timestamp": pd.date_range("2021-01-01", periods=rows, freq="min").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "series_0": np.sin(t / 5), "series_1": np.cos(t / 7), "series_2": np.sin(t / 5) + 0.1 * rng.standard_normal(rows),
    })
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def train_body(data_url: str, **overrides) -> dict:
    body = {"dataSource": data_url, "dataSchema": "OneTable", "startTime": "2021-01-01T00:00:00Z",
            "endTime": "2021-01-01T01:59:00Z", "displayName": "tiny", "slidingWindow": 28,
            "alignPolicy": {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0}}
    body.update(overrides)
    return body


def run_training(model_id: str) -> None:
    """What the training orchestration does, step by step, in this process."""
    plan = jobs.prepare_training(model_id)
    for until in range(plan["epochsPerChunk"], plan["epochs"] + 1, plan["epochsPerChunk"]):
        jobs.train_chunk(model_id, until)
    jobs.finalize_training(model_id)


@contextlib.contextmanager
def app_environment(azurite: str, prefix: str, **settings_env):
    """The app's settings pointed at Azurite under a fresh container prefix, with a small CSV uploaded to train on.

    Yields ``(settings, data_url)``; the functions read the settings through ``get_settings``.
    """
    import pytest

    from service.settings import get_settings
    from service.storage import get_storage

    env = {"MVAD_STORAGE_CONNECTION_STRING": azurite, "MVAD_CONTAINER_PREFIX": prefix + uuid.uuid4().hex[:12],
           "MVAD_API_KEY": KEY, "MVAD_API_KEY_SECONDARY": KEY2, **settings_env}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        get_settings.cache_clear()
        settings = get_settings()
        storage = get_storage(settings)
        container = settings.container_prefix + "data"
        storage.blob_service.get_container_client(container).create_container()
        storage.blob_service.get_blob_client(container, "tiny.csv").upload_blob(tiny_csv())
        try:
            yield settings, f"{storage.own_blob_endpoint}/{container}/tiny.csv"
        finally:
            get_settings.cache_clear()


# Fixtures shared by the API and security suites (their conftests import them; each defines its own `app_env`).
import pytest as _pytest  # noqa: E402


@_pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    import torch

    torch.set_num_threads(1)


@_pytest.fixture
def app(app_env) -> ApiClient:
    return ApiClient()


@_pytest.fixture
def data_url(app_env) -> str:
    return app_env[1]
