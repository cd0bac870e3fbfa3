"""The service's ``alignPolicy``: align variables on one timestamp sequence, then fill what is missing.

``Inner`` keeps the timestamps where every variable has a value, ``Outer`` those where any variable has one.
Missing values are then filled per variable:

- ``Linear``: linear interpolation in time between the neighbouring values;
- ``Previous``: the last value before; ``Subsequent``: the next value after;
- ``Zero``: 0; ``Fixed``: ``paddingValue``.

At the edges there is no neighbour on one side, so ``Linear``, ``Previous`` and ``Subsequent`` all use the nearest
value there: leading gaps take the variable's first value, trailing gaps its last one.
"""
from __future__ import annotations

import numpy as np

from mvad_engine.timestamps import format_timestamp

ALIGN_MODES = ("Inner", "Outer")
FILL_NA_METHODS = ("Previous", "Subsequent", "Linear", "Zero", "Fixed")


def align_rows(present: np.ndarray, align_mode: str) -> np.ndarray:
    """Boolean mask of the rows (timestamps) kept; ``present`` is (T, V), True where a variable has a value."""
    return present.all(axis=1) if align_mode == "Inner" else present.any(axis=1)


def fill_missing(values: np.ndarray, timestamps: np.ndarray, method: str, padding_value: float | None = None) -> None:
    """Fill the NaNs of ``values`` (T, V) in place; every column must hold at least one value."""
    positions = np.arange(len(timestamps))
    for j in range(values.shape[1]):
        column = values[:, j]
        missing = np.isnan(column)
        if not missing.any():
            continue
        if method == "Zero":
            column[missing] = 0.0
        elif method == "Fixed":
            column[missing] = padding_value
        else:
            have = np.flatnonzero(~missing)
            if method == "Linear":
                # relative to the first timestamp, so float64 keeps nanosecond steps exact for centuries
                t = (timestamps - timestamps[0]).astype(np.float64)
                column[missing] = np.interp(t[missing], t[have], column[have])  # clamps at the edges
            elif method == "Previous":
                k = np.searchsorted(have, positions[missing], side="right") - 1
                column[missing] = column[have[np.maximum(k, 0)]]
            else:  # Subsequent
                k = np.searchsorted(have, positions[missing], side="left")
                column[missing] = column[have[np.minimum(k, len(have) - 1)]]


def variable_states(variables: list[str], timestamps: np.ndarray, present: np.ndarray) -> list[dict]:
    """The service's ``variableStates``, sorted by ``filledNARatio`` descending (ties keep the column order).

    ``present`` is (T, V) over the aligned timestamps, before filling; every column holds at least one value.
    """
    total = len(timestamps)
    counts = present.sum(axis=0)
    first = present.argmax(axis=0)
    last = total - 1 - present[::-1].argmax(axis=0)
    states = [
        {
            "variable": name,
            "filledNARatio": float(1.0 - counts[j] / total),
            "effectiveCount": int(counts[j]),
            "firstTimestamp": format_timestamp(int(timestamps[first[j]])),
            "lastTimestamp": format_timestamp(int(timestamps[last[j]])),
        }
        for j, name in enumerate(variables)
    ]
    return sorted(states, key=lambda s: -s["filledNARatio"])
