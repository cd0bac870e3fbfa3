"""The service's error answer: ``{"code", "message"}`` at the top level and the ``x-ms-error-code`` header.

One table maps a code to its HTTP status; every code not listed is a client error (400), as in the original service.
"""
from __future__ import annotations

import json

import azure.functions as func

STATUS_BY_CODE = {
    "Unauthorized": 401,
    "StorageReadError": 403,
    "StorageWriteError": 403,
    "ModelNotExist": 404,
    "ResultNotExist": 404,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "RequestEntityTooLarge": 413,
    "InvalidFileSize": 413,
    "TooManyRunningModels": 429,
    "InternalServerError": 500,
}
DEFAULT_STATUS = 400
INTERNAL_ERROR_MESSAGE = "An unexpected error occurred. Please retry; if it persists, contact the service operator."


def status_for(code: str) -> int:
    return STATUS_BY_CODE.get(code, DEFAULT_STATUS)


def error_response(code: str, message: str) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps({"code": code, "message": message}),
        status_code=status_for(code),
        headers={"x-ms-error-code": code},
        mimetype="application/json",
    )
