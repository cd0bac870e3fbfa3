"""alignMode and fillNAMethod: the tables of the service's documentation, and what happens at the edges."""
from __future__ import annotations

import numpy as np
import pytest

from mvad_engine import prepare_variables


def _variable(name, days, values):
    return {"variable": name, "timestamps": [f"2020-11-{d:02d}T00:00:00Z" for d in days], "values": values}


SPEC_VARIABLES = [  # the documentation's Variable-1 / Variable-2 example
    _variable("Variable-1", [1, 2, 4, 5], [1, 2, 4, 5]),
    _variable("Variable-2", [1, 2, 3, 4], [1, 2, 3, 4]),
]


def _days(frame):
    return [ts.day for ts in frame.timestamps]


def test_inner_join_matches_the_documentation_table():
    frame = prepare_variables(SPEC_VARIABLES, align_mode="Inner")
    assert _days(frame) == [1, 2, 4]
    assert frame.variables == ["Variable-1", "Variable-2"]
    assert frame.values.tolist() == [[1, 1], [2, 2], [4, 4]]


@pytest.mark.parametrize("method, day3, day5", [
    ("Linear", 3, 4),  # interpolated between 2 and 4; trailing gap takes the last value
    ("Previous", 2, 4),
    ("Subsequent", 4, 4),  # no later value for Variable-2 on day 5: the nearest one
    ("Zero", 0, 0),
    ("Fixed", -7.5, -7.5),
])
def test_outer_join_matches_the_documentation_table_and_fills_it(method, day3, day5):
    frame = prepare_variables(SPEC_VARIABLES, align_mode="Outer", fill_na_method=method,
                              padding_value=-7.5 if method == "Fixed" else None)
    assert _days(frame) == [1, 2, 3, 4, 5]
    # documentation: day 3 has nan for Variable-1, day 5 has nan for Variable-2
    assert frame.values.tolist() == [[1, 1], [2, 2], [day3, 3], [4, 4], [5, day5]]


def _one_series(values, method, padding_value=None):
    """One variable at one-minute steps, None = missing, plus a full helper variable that keeps every row."""
    stamps = [f"2021-01-01T00:{m:02d}:00Z" for m in range(len(values))]
    present = [(t, v) for t, v in zip(stamps, values) if v is not None]
    variables = [
        {"variable": "x", "timestamps": [t for t, _ in present], "values": [v for _, v in present]},
        {"variable": "full", "timestamps": stamps, "values": [0.0] * len(stamps)},
    ]
    frame = prepare_variables(variables, fill_na_method=method, padding_value=padding_value)
    return frame.values[:, frame.variables.index("x")].tolist()


def test_previous_and_subsequent_match_the_documentation_examples():
    series = [1, 2, None, 3, None, 4]
    assert _one_series(series, "Previous") == [1, 2, 2, 3, 3, 4]
    assert _one_series(series, "Subsequent") == [1, 2, 3, 3, 4, 4]


def test_linear_interpolates_in_time():
    assert _one_series([0, None, None, 3, None, 5], "Linear") == [0, 1, 2, 3, 4, 5]


def test_irregular_gaps_interpolate_by_time_not_by_row():
    variables = [
        {"variable": "x", "timestamps": ["2021-01-01T00:00:00Z", "2021-01-01T00:04:00Z"], "values": [0, 8]},
        {"variable": "y", "timestamps": ["2021-01-01T00:00:00Z", "2021-01-01T00:01:00Z", "2021-01-01T00:04:00Z"],
         "values": [0, 0, 0]},
    ]
    frame = prepare_variables(variables, fill_na_method="Linear")
    assert frame.values[:, 0].tolist() == [0, 2, 8]


@pytest.mark.parametrize("method, expected", [
    ("Linear", [5, 5, 5, 6, 7, 7]),
    ("Previous", [5, 5, 5, 6, 7, 7]),
    ("Subsequent", [5, 5, 5, 6, 7, 7]),
    ("Zero", [0, 0, 5, 6, 7, 0]),
    ("Fixed", [9, 9, 5, 6, 7, 9]),
])
def test_edges_take_the_nearest_value(method, expected):
    assert _one_series([None, None, 5, 6, 7, None], method, padding_value=9 if method == "Fixed" else None) == expected


def test_inner_drops_every_row_with_a_missing_value_and_reports_no_fill():
    frame = prepare_variables(SPEC_VARIABLES, align_mode="Inner")
    assert [s["filledNARatio"] for s in frame.variable_states] == [0.0, 0.0]
    assert [s["effectiveCount"] for s in frame.variable_states] == [3, 3]


def test_variable_states_count_filled_values_and_sort_by_ratio():
    variables = SPEC_VARIABLES + [_variable("Variable-3", [3], [30])]
    frame = prepare_variables(variables, align_mode="Outer")
    states = {s["variable"]: s for s in frame.variable_states}
    assert [s["variable"] for s in frame.variable_states] == ["Variable-3", "Variable-1", "Variable-2"]
    assert states["Variable-3"] == {"variable": "Variable-3", "filledNARatio": pytest.approx(0.8), "effectiveCount": 1,
                                    "firstTimestamp": "2020-11-03T00:00:00Z", "lastTimestamp": "2020-11-03T00:00:00Z"}
    assert states["Variable-1"]["filledNARatio"] == pytest.approx(0.2)
    assert states["Variable-2"]["lastTimestamp"] == "2020-11-04T00:00:00Z"
    assert frame.values[:, 2].tolist() == [30] * 5  # a single value fills the whole column
    assert not np.isnan(frame.values).any()
