"""The local host's HTTP server: the app's HTTP functions under the route prefix, and the Durable client's API.

Each request becomes a `func.HttpRequest`; an async function runs on one shared event loop (as in the Python worker,
which also keeps the Durable client's aiohttp session valid), a sync one on the request's thread.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func

from devhost.durable import RPC_PATH, DurableRuntime, InstanceExists
from devhost.functions import AppFunctions, HttpRoute
from devhost.replay import Instance

log = logging.getLogger("devhost.http")

# Durable HTTP API status codes for an instance's status (as the extension answers them).
_STATUS_CODES = {"Completed": 200, "Pending": 202, "Running": 202, "Failed": 400, "Terminated": 400}


class LocalHost:
    def __init__(self, functions: AppFunctions, runtime: DurableRuntime, host: str = "127.0.0.1", port: int = 7071):
        self.functions = functions
        self.runtime = runtime
        self.loop = _event_loop()
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self.base_url = f"http://{host}:{self.server.server_address[1]}"

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        self.runtime.shutdown()
        self.server.shutdown()
        self.server.server_close()

    # The app's HTTP functions.
    def invoke(self, route: HttpRoute, request: func.HttpRequest) -> func.HttpResponse:
        kwargs = {route.request_param: request}
        if route.client_param:
            kwargs[route.client_param] = self.runtime.client_binding(self.base_url)
        if "context" in inspect.signature(route.function).parameters:
            kwargs["context"] = SimpleNamespace(invocation_id=str(uuid.uuid4()), function_name=route.name)
        result = route.function(**kwargs)
        if inspect.isawaitable(result):
            result = asyncio.run_coroutine_threadsafe(_awaited(result), self.loop).result()
        if isinstance(result, func.HttpResponse):
            return result
        return func.HttpResponse(result if isinstance(result, (str, bytes)) else json.dumps(result),
                                 mimetype="application/json" if not isinstance(result, (str, bytes)) else "text/plain")

    # The Durable client's API (what DurableOrchestrationClient calls at rpcBaseUrl).
    def durable(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, object]:
        parts = path.split("/")
        if method == "POST" and len(parts) in (2, 3) and parts[0] == "orchestrators":
            instance_id = parts[2] if len(parts) == 3 and parts[2] else uuid.uuid4().hex
            # The client posts its input already serialised (a JSON string holding the JSON text).
            posted = json.loads(body) if body.strip() else None
            input_json = posted if isinstance(posted, str) or posted is None else json.dumps(posted)
            try:
                instance = self.runtime.start_new(parts[1], instance_id, input_json)
            except KeyError as error:
                return 400, {"ExceptionMessage": str(error)}
            except InstanceExists as error:
                return 409, {"ExceptionMessage": str(error)}
            return 202, {"id": instance.instance_id, **self._management_urls(instance.instance_id)}
        if parts[0] != "instances":
            return 404, {"message": f"Unknown Durable API path {path}"}
        if method == "GET" and (len(parts) == 1 or parts[1] == ""):
            return 200, [_status(i, query) for i in self.runtime.list()]
        instance_id = parts[1]
        if method == "GET" and len(parts) == 2:
            instance = self.runtime.get(instance_id)
            if instance is None:
                return 404, None
            return _STATUS_CODES.get(instance.status, 200), _status(instance, query)
        if method == "POST" and len(parts) == 3 and parts[2] == "terminate":
            outcome = self.runtime.terminate(instance_id, query.get("reason", ""))
            return {"terminated": 202, "not running": 410, "not found": 404}[outcome], None
        if method == "DELETE" and len(parts) == 2:
            deleted = self.runtime.purge(instance_id)
            return (200, {"instancesDeleted": 1}) if deleted else (404, None)
        return 501, {"message": f"The local host does not implement {method} {path}"}

    def _management_urls(self, instance_id: str) -> dict:
        urls = json.loads(self.runtime.client_binding(self.base_url))["managementUrls"]
        return {key: value.replace("INSTANCEID", instance_id) for key, value in urls.items() if key != "id"}


_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


def _event_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, as in the Python worker: the Durable client keeps one aiohttp session on it."""
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, name="functions-event-loop", daemon=True).start()
        return _LOOP


async def _awaited(awaitable):
    return await awaitable


def _content_type(mimetype: str, charset: str | None) -> str:
    """A charset only for text bodies: a zip announced as utf-8 text would be decoded by clients."""
    textual = mimetype.startswith("text/") or mimetype.endswith(("json", "xml")) or "javascript" in mimetype
    return f"{mimetype}; charset={charset or 'utf-8'}" if textual else mimetype


def _status(instance: Instance, query: dict[str, str]) -> dict:
    status = {"name": instance.name, "instanceId": instance.instance_id, "runtimeStatus": instance.status,
              "customStatus": instance.custom_status, "output": instance.output,
              "createdTime": instance.created, "lastUpdatedTime": instance.updated}
    if query.get("showInput", "true").lower() != "false":
        status["input"] = json.loads(instance.input) if instance.input else None
    if query.get("showHistory", "false").lower() == "true":
        status["historyEvents"] = instance.history
    return status


def _handler_for(host: LocalHost):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "OpenMvadLocalHost"

        def do_GET(self):
            self._handle()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

        def _handle(self):
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                path = unquote(url.path)
                query = dict(parse_qsl(url.query, keep_blank_values=True))
                if path.startswith(RPC_PATH):
                    status, payload = host.durable(self.command, path[len(RPC_PATH):], query, body)
                    self._send(status, {"Content-Type": "application/json"},
                               b"" if payload is None else json.dumps(payload).encode())
                elif path == "/admin/host/status":
                    self._send(200, {"Content-Type": "application/json"}, b'{"state": "Running"}')
                else:
                    self._app(path, query, body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            except Exception:
                log.exception("request %s %s failed", self.command, self.path)
                self._send(500, {"Content-Type": "text/plain"}, traceback.format_exc(limit=3).encode())

        def _app(self, path: str, query: dict[str, str], body: bytes) -> None:
            prefix = f"/{host.functions.route_prefix}/" if host.functions.route_prefix else "/"
            route, params, known = (None, {}, False)
            if path.startswith(prefix):
                route, params, known = host.functions.find_route(self.command, path[len(prefix):].strip("/"))
            if route is None:
                self._send(405 if known else 404, {}, b"")
                return
            request = func.HttpRequest(self.command, host.base_url + self.path, headers=dict(self.headers.items()),
                                       params=query, route_params=params, body=body)
            response = host.invoke(route, request)
            headers = dict(response.headers.items())
            if response.mimetype and not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = _content_type(response.mimetype, response.charset)
            self._send(response.status_code, headers, response.get_body() or b"")

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
            log.info("%s %s", self.address_string(), format % args)

    return Handler
