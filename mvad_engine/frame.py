"""The prepared data every later stage works on: aligned, filled, one float32 column per variable."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class PreparedFrame:
    """Aligned multivariate data.

    timestamps: UTC ``pd.DatetimeIndex``, strictly increasing, one per row of ``values``.
    values: float32 array of shape (len(timestamps), len(variables)), no NaN left.
    variables: variable names, in column order.
    variable_states: the service's ``variableStates`` (camelCase dicts), sorted by filledNARatio descending.
    """

    timestamps: pd.DatetimeIndex
    values: np.ndarray
    variables: list[str]
    variable_states: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.timestamps)

    def save(self, file) -> None:
        """Write to a path or binary file object (npz), e.g. to hand a prepared frame between activities."""
        np.savez_compressed(
            file,
            timestamps=self.timestamps.as_unit("ns").asi8,
            values=self.values,
            # names and states as JSON text, so loading never unpickles anything
            meta=np.frombuffer(json.dumps({"variables": self.variables, "variableStates": self.variable_states}).encode(), np.uint8),
        )

    @classmethod
    def load(cls, file) -> "PreparedFrame":
        if isinstance(file, (bytes, bytearray)):
            file = io.BytesIO(file)
        with np.load(file, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            return cls(
                timestamps=pd.DatetimeIndex(pd.to_datetime(z["timestamps"], unit="ns", utc=True)),
                values=z["values"],
                variables=meta["variables"],
                variable_states=meta["variableStates"],
            )
