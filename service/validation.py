"""Request bodies checked and normalised before anything is stored or started; errors use the service's codes."""
from __future__ import annotations

import math

from mvad_engine import limits
from mvad_engine.errors import MvadError
from mvad_engine.timestamps import format_timestamp, parse_timestamp

ALIGN_MODES = ("Inner", "Outer")
FILL_NA_METHODS = ("Previous", "Subsequent", "Linear", "Zero", "Fixed")
DATA_SCHEMAS = ("OneTable", "MultiTable")
MAX_DISPLAY_NAME = 24


def _object(body, what: str) -> dict:
    if not isinstance(body, dict):
        raise MvadError("InvalidJsonFormat", f"The {what} must be a JSON object.")
    return body


def _int(value, code: str, message: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MvadError(code, message)
    if isinstance(value, float) and not value.is_integer():
        raise MvadError(code, message)
    if not low <= int(value) <= high:
        raise MvadError(code, message)
    return int(value)


def _time_range(body: dict) -> tuple[str, str]:
    for name, code in (("startTime", "RequiredStartTime"), ("endTime", "RequiredEndTime")):
        if body.get(name) in (None, ""):
            raise MvadError(code, f"The '{name}' field is required in the request.")
    start = parse_timestamp(body["startTime"], "startTime")
    end = parse_timestamp(body["endTime"], "endTime")
    if end < start:
        raise MvadError("InvalidEndTime", "The 'endTime' field must be later than or equal to 'startTime'.")
    return format_timestamp(start), format_timestamp(end)


def _data_source(body: dict) -> str:
    source = body.get("dataSource")
    if source in (None, ""):
        raise MvadError("RequiredSource", "The 'dataSource' field is required in the request.")
    if not isinstance(source, str):
        raise MvadError("InvalidBlobURL", "The 'dataSource' field must be a blob URL string.")
    return source


def _top_contributors(body: dict) -> int:
    value = body.get("topContributorCount")
    if value is None:
        return limits.DEFAULT_TOP_CONTRIBUTORS
    return _int(value, "InvalidTopContributorCount",
                f"The 'topContributorCount' field must be an integer between 1 and {limits.MAX_VARIABLES}.",
                1, limits.MAX_VARIABLES)


def align_policy(value) -> dict:
    """The ``alignPolicy`` with defaults (Outer, Linear, paddingValue 0)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise MvadError("InvalidAlignPolicy", "The 'alignPolicy' field must be an object.")
    mode = value.get("alignMode") or "Outer"
    if mode not in ALIGN_MODES:
        raise MvadError("InvalidAlignMode", "The 'alignMode' field must be one of the following: 'Inner' or 'Outer'.")
    method = value.get("fillNAMethod") or "Linear"
    if method not in FILL_NA_METHODS:
        raise MvadError("InvalidFillNAMethod", "The 'fillNAMethod' field must be one of the following: "
                                               "'Previous', 'Subsequent', 'Linear', 'Zero', 'Fixed'.")
    padding = value.get("paddingValue")
    if padding is None:
        if method == "Fixed":
            raise MvadError("RequiredPaddingValue",
                            "The 'paddingValue' field is required in the request when 'fillNAMethod' is 'Fixed'.")
        padding = 0.0
    if isinstance(padding, bool) or not isinstance(padding, (int, float)) or not math.isfinite(padding):
        raise MvadError("InvalidPaddingValue", "The 'paddingValue' field must be a finite number.")
    return {"alignMode": mode, "fillNAMethod": method, "paddingValue": float(padding)}


def train_request(body) -> dict:
    """The ``ModelInfo`` of a training request, with defaults filled in (dataSource still as sent)."""
    body = _object(body, "training request")
    source = _data_source(body)
    schema = body.get("dataSchema") or "OneTable"
    if schema not in DATA_SCHEMAS:
        raise MvadError("InvalidDataSchema", "The 'dataSchema' field must be one of the following: 'OneTable' or 'MultiTable'.")
    start, end = _time_range(body)
    name = body.get("displayName", "")
    if name is None:
        name = ""
    if not isinstance(name, str) or len(name) > MAX_DISPLAY_NAME:
        raise MvadError("InvalidDisplayName", f"The 'displayName' field must be a string of at most {MAX_DISPLAY_NAME} characters.")
    window = body.get("slidingWindow")
    window = limits.DEFAULT_SLIDING_WINDOW if window is None else _int(
        window, "InvalidSlidingWindow",
        f"The 'slidingWindow' field must be an integer between {limits.MIN_SLIDING_WINDOW} and {limits.MAX_SLIDING_WINDOW}.",
        limits.MIN_SLIDING_WINDOW, limits.MAX_SLIDING_WINDOW)
    return {"dataSource": source, "dataSchema": schema, "startTime": start, "endTime": end, "displayName": name,
            "slidingWindow": window, "alignPolicy": align_policy(body.get("alignPolicy"))}


def batch_request(body) -> dict:
    """The ``MultivariateBatchDetectionOptions`` with defaults (dataSource still as sent)."""
    body = _object(body, "detection request")
    source = _data_source(body)
    top = _top_contributors(body)
    start, end = _time_range(body)
    return {"dataSource": source, "topContributorCount": top, "startTime": start, "endTime": end}


def last_request(body) -> tuple[list, int]:
    """``(variables, topContributorCount)`` of a detect-last request; the engine checks the series themselves."""
    body = _object(body, "detection request")
    variables = body.get("variables")
    if not variables:
        raise MvadError("RequiredVariables", "The 'variables' field is required in the request.")
    if not isinstance(variables, list) or not all(isinstance(v, dict) for v in variables):
        raise MvadError("InvalidVariables", "The 'variables' field must be a list of {variable, timestamps, values} objects.")
    for i, item in enumerate(variables):
        if not isinstance(item.get("variable"), str) or not item["variable"]:
            raise MvadError("InvalidVariables", f"variables[{i}].variable must be a non-empty string.")
        if not isinstance(item.get("timestamps"), list) or not isinstance(item.get("values"), list):
            raise MvadError("InvalidVariables", f"variables[{i}] ('{item['variable']}') needs 'timestamps' and 'values' lists.")
    return variables, _top_contributors(body)
