"""Request and response helpers: bounded JSON bodies, JSON answers, the API's absolute base URL."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import azure.functions as func

from mvad_engine.errors import MvadError

API_ROOT = "/anomalydetector/v1.1"
MAX_BODY_BYTES = 1 * 1024 * 1024
MAX_DETECT_LAST_BODY_BYTES = 10 * 1024 * 1024
INT32_MAX = 2**31 - 1  # $skip and $top are int32 in the REST description


def read_json(req: func.HttpRequest, limit: int = MAX_BODY_BYTES):
    """The parsed JSON body; RequestEntityTooLarge over ``limit`` bytes, InvalidJsonFormat when it is not JSON."""
    declared = req.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise MvadError("RequestEntityTooLarge", f"The request body exceeds the limit of {limit} bytes.")
    body = req.get_body() or b""
    if len(body) > limit:
        raise MvadError("RequestEntityTooLarge", f"The request body exceeds the limit of {limit} bytes.")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser
        raise MvadError("InvalidJsonFormat", "Invalid JSON format.") from exc


def json_response(value, status: int = 200, headers: dict | None = None) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(value), status_code=status, headers=headers or {}, mimetype="application/json")


def base_url(req: func.HttpRequest) -> str:
    """``scheme://host[:port]/anomalydetector/v1.1`` as the client called it, for Location headers and links."""
    parts = urlsplit(req.url)
    path = parts.path
    root = path.find(API_ROOT)
    prefix = path[:root] if root >= 0 else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}{API_ROOT}"


def query_int(req: func.HttpRequest, name: str, default: int | None, low: int) -> int | None:
    """An integer query parameter, by plain name or with ``$`` (``skip`` or ``$skip``)."""
    raw = req.params.get(name)
    if raw is None:
        raw = req.params.get("$" + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= INT32_MAX:
        raise MvadError("InvalidRequestParameterError", "Invalid values for $skip or $top.")
    return value
