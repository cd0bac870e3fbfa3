"""The HTTP functions of /anomalydetector/v1.1/multivariate: parse -> call the service -> render.

Six route templates, one function each (the host's route prefix ``anomalydetector/v1.1`` is set in host.json):
``multivariate/models`` (GET list, POST train), ``multivariate/models/{modelRef}`` (GET, DELETE, and POST with
``{modelId}:detect-batch`` / ``{modelId}:detect-last``: a ``:`` action sits inside the last path segment, so the
function splits it), ``multivariate/models/{modelId}/export`` and ``multivariate/detect-batch/{resultId}``; beside
them, for Logic Apps, ``multivariate/detect-batch/{resultId}/status`` (the asynchronous polling pattern) and
``openapi.json`` (the API's OpenAPI 2.0 description, ``openapi/openapi.json``).
Blocking work (storage, the engine) runs in a worker thread so the event loop stays free.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import azure.durable_functions as df
import azure.functions as func

from api.auth import authenticate
from api.errors import INTERNAL_ERROR_MESSAGE, error_response
from api.http import MAX_DETECT_LAST_BODY_BYTES, base_url, json_response, query_int, read_json
from mvad_engine.errors import MvadError
from orchestrations.deadline import with_deadline
from service import inference, models, results
from service.records import CREATED, FAILED, READY, RUNNING
from service.settings import get_settings

log = logging.getLogger(__name__)

bp = df.Blueprint()
ANONYMOUS = func.AuthLevel.ANONYMOUS
TRAIN_ORCHESTRATOR = "train_model_orchestrator"
DETECT_ORCHESTRATOR = "detect_batch_orchestrator"
OPENAPI_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
# Seconds a poller (Logic Apps, Power Automate) waits before asking again whether a batch detection has finished.
POLL_AFTER_SECONDS = 10


async def _answer(req: func.HttpRequest, work) -> func.HttpResponse:
    """Authenticate, run ``work``, and turn errors into the service's error answer (never a stack trace)."""
    try:
        authenticate(req, get_settings().api_keys)
        return await work()
    except MvadError as error:
        return error_response(error.code, error.message)
    except Exception:
        log.exception("unexpected error answering %s %s", req.method, urlsplit(req.url).path)
        return error_response("InternalServerError", INTERNAL_ERROR_MESSAGE)


def _not_found() -> MvadError:
    return MvadError("NotFound", "The requested resource or operation does not exist.")


# ---- multivariate/models -------------------------------------------------------------------------------------------
@bp.route(route="multivariate/models", methods=["GET", "POST"], auth_level=ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def models_collection(req: func.HttpRequest, client) -> func.HttpResponse:
    if req.method == "POST":
        return await _answer(req, lambda: _train(req, client))
    return await _answer(req, lambda: _list(req))


async def _train(req: func.HttpRequest, client) -> func.HttpResponse:
    body = read_json(req)
    settings = get_settings()
    record = await asyncio.to_thread(models.create_model, body, settings)
    try:
        await client.start_new(TRAIN_ORCHESTRATOR, record.model_id,
                               with_deadline({"modelId": record.model_id}, settings.job_timeout_minutes))
    except Exception:
        # without its orchestration the model would stay CREATED forever
        await asyncio.to_thread(models.delete_model, record.model_id, settings)
        raise
    location = f"{base_url(req)}/multivariate/models/{record.model_id}"
    return json_response(record.to_api(), 201, {"Location": location})


async def _list(req: func.HttpRequest) -> func.HttpResponse:
    settings = get_settings()
    skip = query_int(req, "skip", 0, low=0)
    top = query_int(req, "top", models.DEFAULT_TOP, low=1)
    page, total = await asyncio.to_thread(models.list_models, skip, top, settings)
    shown = skip + len(page)
    next_link = f"{base_url(req)}/multivariate/models?skip={shown}&top={top}" if shown < total else ""
    return json_response({"models": [r.to_api() for r in page], "currentCount": total,
                          "maxCount": settings.max_models, "nextLink": next_link})


# ---- multivariate/models/{modelRef} --------------------------------------------------------------------------------
@bp.route(route="multivariate/models/{modelRef}", methods=["GET", "DELETE", "POST"], auth_level=ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def model_item(req: func.HttpRequest, client) -> func.HttpResponse:
    model_id, sep, action = unquote(req.route_params.get("modelRef", "")).partition(":")

    async def work():
        if req.method == "POST" and action == "detect-batch":
            return await _detect_batch(req, client, model_id)
        if req.method == "POST" and action == "detect-last":
            return await _detect_last(req, model_id)
        if sep or req.method == "POST":
            raise _not_found()
        if req.method == "DELETE":
            return await _delete(client, model_id)
        record = await asyncio.to_thread(models.get_model, model_id, get_settings())
        return json_response(record.to_api())

    return await _answer(req, work)


async def _delete(client, model_id: str) -> func.HttpResponse:
    record = await asyncio.to_thread(models.delete_model, model_id, get_settings())
    if record.status in (CREATED, RUNNING):
        try:
            await client.terminate(record.model_id, "model deleted")
        except Exception as error:  # not found / already finished: nothing left to stop
            log.info("terminating the training of model %s: %s", record.model_id, error)
    return func.HttpResponse(status_code=204)


async def _detect_batch(req: func.HttpRequest, client, model_id: str) -> func.HttpResponse:
    body = read_json(req)
    settings = get_settings()
    record = await asyncio.to_thread(results.create_result, model_id, body, settings)
    try:
        await client.start_new(DETECT_ORCHESTRATOR, record.result_id,
                               with_deadline({"resultId": record.result_id}, settings.job_timeout_minutes))
    except Exception:
        await asyncio.to_thread(results.delete_result, record.result_id, settings)
        raise
    location = f"{base_url(req)}/multivariate/detect-batch/{record.result_id}"
    # Operation-* for the SDK; Location + Retry-After for the asynchronous pattern of Logic Apps (the SDK ignores them)
    headers = {"Operation-Id": record.result_id, "Operation-Location": location,
               **_poll_headers(req, record.result_id)}
    return json_response(record.to_api([]), 202, headers)


def _poll_headers(req: func.HttpRequest, result_id: str) -> dict:
    return {"Location": f"{base_url(req)}/multivariate/detect-batch/{result_id}/status",
            "Retry-After": str(POLL_AFTER_SECONDS)}


async def _detect_last(req: func.HttpRequest, model_id: str) -> func.HttpResponse:
    body = read_json(req, MAX_DETECT_LAST_BODY_BYTES)
    answer = await asyncio.to_thread(inference.detect_last, model_id, body, get_settings())
    return json_response(answer)


# ---- multivariate/models/{modelId}/export --------------------------------------------------------------------------
@bp.route(route="multivariate/models/{modelId}/export", methods=["GET"], auth_level=ANONYMOUS)
async def model_export(req: func.HttpRequest) -> func.HttpResponse:
    model_id = req.route_params.get("modelId", "")

    async def work():
        data = await asyncio.to_thread(models.export_model, model_id, get_settings())
        headers = {"Content-Disposition": f'attachment; filename="{models.canonical_id(model_id)}.zip"'}
        return func.HttpResponse(data, status_code=200, headers=headers, mimetype="application/zip")

    return await _answer(req, work)


# ---- multivariate/detect-batch/{resultId} --------------------------------------------------------------------------
@bp.route(route="multivariate/detect-batch/{resultId}", methods=["GET"], auth_level=ANONYMOUS)
async def batch_result(req: func.HttpRequest) -> func.HttpResponse:
    result_id = req.route_params.get("resultId", "")

    async def work():
        return json_response(await asyncio.to_thread(results.get_result, result_id, get_settings()))

    return await _answer(req, work)


# ---- multivariate/detect-batch/{resultId}/status: the asynchronous polling pattern --------------------------------
@bp.route(route="multivariate/detect-batch/{resultId}/status", methods=["GET"], auth_level=ANONYMOUS)
async def batch_status(req: func.HttpRequest) -> func.HttpResponse:
    """202 with Location + Retry-After while the detection is CREATED/RUNNING; 200 with the result once it is over."""
    result_id = req.route_params.get("resultId", "")

    async def work():
        answer = await asyncio.to_thread(results.get_result, result_id, get_settings())
        if answer["summary"]["status"] in (READY, FAILED):
            return json_response(answer)
        return json_response(answer, 202, _poll_headers(req, answer["resultId"]))

    return await _answer(req, work)


# ---- openapi.json --------------------------------------------------------------------------------------------------
@bp.route(route="openapi.json", methods=["GET"], auth_level=ANONYMOUS)
async def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    """The API's OpenAPI 2.0 description, as kept in the repository; like every route, it requires a key."""

    async def work():
        document = await asyncio.to_thread(OPENAPI_FILE.read_bytes)
        return func.HttpResponse(document, status_code=200, mimetype="application/json")

    return await _answer(req, work)
