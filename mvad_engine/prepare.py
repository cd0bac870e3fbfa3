"""Data preparation: customer data in, a :class:`PreparedFrame` out (read, validate, clip, align, fill).

``startTime``/``endTime`` clip as the service does: both ends are inclusive; a start before the data means the first
timestamp, an end after it the last one; start == end selects one timestamp; start > end is an error.
Failures raise :class:`MvadError` with the service's codes:

================================  ==========================================================================
NoVariablesFound                  no variable columns / no CSV files in the archive or folder
DuplicatedVariables               two columns or two files give the same variable name
FileColumnsNotExist               no ``timestamp`` column (OneTable) / not ``timestamp,value`` (MultiTable)
VariableParseError                a cell that is not a finite number, a repeated timestamp, bad CSV shape
InvalidTimestampFormat            a timestamp (in the data or ``start``/``end``) that is not ISO 8601
InvalidTimeRange                  ``start`` later than ``end``
NotEnoughInput                    empty file, header only, nothing left after clipping or ``Inner`` alignment,
                                  a variable with no value in the selected range
DataExceedsLimit / TooManyData    more timestamps than ``max_timestamps`` / more than 301 variables or files
InvalidFileSize / InvalidFileFormat  archive over the size or compression-ratio limits / unreadable or unsafe
InvalidAlignMode, InvalidFillNAMethod, RequiredPaddingValue, InvalidPaddingValue, InvalidDataSchema
================================  ==========================================================================
"""
from __future__ import annotations

import math
from numbers import Real

import numpy as np
import pandas as pd

from mvad_engine import limits
from mvad_engine.align import ALIGN_MODES, FILL_NA_METHODS, align_rows, fill_missing, variable_states
from mvad_engine.errors import MvadError
from mvad_engine.frame import PreparedFrame
from mvad_engine.readers import RawTable, merge, parse_timestamps, read_multi_table, read_one_table, sorted_order
from mvad_engine.timestamps import format_timestamp, parse_timestamp

SCHEMAS = ("OneTable", "MultiTable")
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def prepare(source, schema: str = "OneTable", start=None, end=None, align_mode: str = "Outer",
            fill_na_method: str = "Linear", padding_value=None,
            max_timestamps: int = limits.MAX_TRAIN_TIMESTAMPS) -> PreparedFrame:
    """Read a OneTable CSV or a MultiTable zip/folder (path or bytes) and align it as ``alignPolicy`` says."""
    padding_value = check_align_policy(align_mode, fill_na_method, padding_value)
    start, end = check_time_range(start, end)
    if schema == "OneTable":
        table = read_one_table(source)
    elif schema == "MultiTable":
        table = read_multi_table(source)
    else:
        raise MvadError("InvalidDataSchema", f"dataSchema must be one of {', '.join(SCHEMAS)}, got {schema!r}.")
    return _align(table, start, end, align_mode, fill_na_method, padding_value, max_timestamps)


def prepare_variables(variables, align_mode: str = "Outer", fill_na_method: str = "Linear", padding_value=None,
                      max_timestamps: int = limits.MAX_TRAIN_TIMESTAMPS) -> PreparedFrame:
    """The detect-last body's ``variables`` (``[{"variable", "timestamps", "values"}]``) as a prepared frame."""
    padding_value = check_align_policy(align_mode, fill_na_method, padding_value)
    if not isinstance(variables, list) or not variables:
        raise MvadError("NoVariablesFound", "'variables' must be a non-empty list.")
    if len(variables) > limits.MAX_VARIABLES:
        raise MvadError("TooManyData", f"{len(variables)} variables; at most {limits.MAX_VARIABLES} are accepted.")
    names, series = [], []
    for i, item in enumerate(variables):
        if not isinstance(item, dict) or not {"variable", "timestamps", "values"} <= item.keys():
            raise MvadError("InvalidInputFormat", f"variables[{i}] must be an object with 'variable', 'timestamps' "
                                                  "and 'values'.")
        name, stamps, values = item["variable"], item["timestamps"], item["values"]
        where = f"variables[{i}] ('{name}')"
        if not isinstance(name, str) or not name:
            raise MvadError("InvalidInputFormat", f"variables[{i}].variable must be a non-empty string.")
        if name in names:
            raise MvadError("DuplicatedVariables", f"Variable '{name}' appears more than once.")
        if not isinstance(stamps, list) or not isinstance(values, list):
            raise MvadError("InvalidInputFormat", f"{where}: 'timestamps' and 'values' must be lists.")
        if len(stamps) != len(values):
            raise MvadError("VariableParseError", f"{where}: {len(stamps)} timestamps but {len(values)} values.")
        if not stamps:
            raise MvadError("NotEnoughInput", f"{where} has no data.")
        for k, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v):  # NaN/inf, null, text
                raise MvadError("VariableParseError", f"{where}, values[{k}]: {v!r} is not a finite number.")
        for k, ts in enumerate(stamps):
            if not isinstance(ts, str):
                raise MvadError("InvalidTimestampFormat", f"{where}, timestamps[{k}]: {ts!r} is not an ISO 8601 "
                                                          "timestamp string.")
        ts = parse_timestamps(pd.Series(stamps, dtype=object), where)
        vals = np.asarray(values, dtype=np.float64)
        if not _fits_float32(np.abs(vals).max()):
            raise MvadError("VariableParseError", f"{where}: a value is outside the float32 range.")
        order = sorted_order(ts, where)
        if order is not None:
            ts, vals = ts[order], vals[order]
        names.append(name)
        series.append((ts, vals))
    return _align(merge(series, names), None, None, align_mode, fill_na_method, padding_value, max_timestamps)


def check_align_policy(align_mode, fill_na_method, padding_value) -> float | None:
    """Validate ``alignPolicy``; returns the padding value as a float (None when not given)."""
    if align_mode not in ALIGN_MODES:
        raise MvadError("InvalidAlignMode", f"alignMode must be one of {', '.join(ALIGN_MODES)}, got {align_mode!r}.")
    if fill_na_method not in FILL_NA_METHODS:
        raise MvadError("InvalidFillNAMethod", f"fillNAMethod must be one of {', '.join(FILL_NA_METHODS)}, "
                                               f"got {fill_na_method!r}.")
    if padding_value is None:
        if fill_na_method == "Fixed":
            raise MvadError("RequiredPaddingValue", "paddingValue is required when fillNAMethod is Fixed.")
        return None
    if isinstance(padding_value, bool) or not isinstance(padding_value, Real) or not _fits_float32(padding_value):
        raise MvadError("InvalidPaddingValue", f"paddingValue must be a finite number, got {padding_value!r}.")
    return float(padding_value)


def check_time_range(start, end) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    start = None if start is None else parse_timestamp(start, "startTime")
    end = None if end is None else parse_timestamp(end, "endTime")
    if start is not None and end is not None and start > end:
        raise MvadError("InvalidTimeRange", f"endTime {format_timestamp(end)} is earlier than startTime "
                                            f"{format_timestamp(start)}.")
    return start, end


def _align(table: RawTable, start, end, align_mode, fill_na_method, padding_value, max_timestamps) -> PreparedFrame:
    timestamps, values = table.timestamps, table.values
    keep = np.ones(len(timestamps), dtype=bool)
    if start is not None:
        keep &= timestamps >= start.as_unit("ns").value
    if end is not None:
        keep &= timestamps <= end.as_unit("ns").value
    if not keep.any():
        raise MvadError("NotEnoughInput", f"No data between startTime {_fmt(start)} and endTime {_fmt(end)}.")
    present = ~np.isnan(values)
    keep &= align_rows(present, align_mode)
    if not keep.any():
        raise MvadError("NotEnoughInput", "No timestamp where every variable has a value (alignMode Inner).")
    if not keep.all():
        timestamps, values, present = timestamps[keep], values[keep], present[keep]
    if len(timestamps) > max_timestamps:
        raise MvadError("DataExceedsLimit", f"The data between startTime and endTime has {len(timestamps)} "
                                            f"timestamps; at most {max_timestamps} are accepted.")
    empty = [name for name, any_value in zip(table.variables, present.any(axis=0)) if not any_value]
    if empty:
        raise MvadError("NotEnoughInput", f"Variable(s) {', '.join(empty)} have no value between startTime "
                                          f"{_fmt(start)} and endTime {_fmt(end)}.")
    states = variable_states(table.variables, timestamps, present)
    fill_missing(values, timestamps, fill_na_method, padding_value)
    return PreparedFrame(
        timestamps=pd.DatetimeIndex(pd.to_datetime(timestamps, unit="ns", utc=True)).as_unit("ns"),
        values=np.ascontiguousarray(values, dtype=np.float32),
        variables=list(table.variables),
        variable_states=states,
    )


def _fits_float32(value) -> bool:
    return math.isfinite(value) and abs(value) <= _FLOAT32_MAX


def _fmt(ts) -> str:
    return "(none)" if ts is None else format_timestamp(ts)
