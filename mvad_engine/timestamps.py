"""ISO 8601 timestamps as the service reads and writes them."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from mvad_engine.errors import MvadError


def parse_timestamp(value, field: str = "timestamp") -> pd.Timestamp:
    """Parse one ISO 8601 timestamp to a UTC ``pd.Timestamp``; naive values are taken as UTC."""
    if isinstance(value, pd.Timestamp):
        ts = value
    elif isinstance(value, dt.datetime):
        ts = pd.Timestamp(value)
    elif isinstance(value, str) and value.strip():
        try:
            ts = pd.Timestamp(value.strip())
        except (ValueError, TypeError) as exc:
            raise MvadError("InvalidTimestampFormat", f"{field} '{value}' is not an ISO 8601 timestamp.") from exc
    else:
        raise MvadError("InvalidTimestampFormat", f"{field} must be an ISO 8601 timestamp string, got {value!r}.")
    if ts is pd.NaT:
        raise MvadError("InvalidTimestampFormat", f"{field} '{value}' is not an ISO 8601 timestamp.")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def format_timestamp(ts) -> str:
    """Format as the service does: ``2021-01-01T00:00:00Z`` (fractional seconds only when present)."""
    ts = pd.Timestamp(ts)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if ts.microsecond or ts.nanosecond:
        return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
