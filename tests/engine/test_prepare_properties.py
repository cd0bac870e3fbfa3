"""Properties of parsing and alignment on generated data (hypothesis)."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mvad_engine import MvadError, prepare, prepare_variables
from mvad_engine.align import FILL_NA_METHODS

BASE = pd.Timestamp("2021-01-01T00:00:00Z")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

values_st = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)


@st.composite
def variable_sets(draw):
    """2-4 variables, each observed at a non-empty subset of 20 minutes."""
    count = draw(st.integers(2, 4))
    variables = []
    for i in range(count):
        minutes = sorted(draw(st.sets(st.integers(0, 19), min_size=1, max_size=20)))
        variables.append({
            "variable": f"v{i}",
            "timestamps": [(BASE + pd.Timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ") for m in minutes],
            "values": [draw(values_st) for _ in minutes],
        })
    return variables


def _observed(variable):
    return dict(zip(pd.to_datetime(variable["timestamps"], utc=True), np.float32(variable["values"])))


@FAST
@given(variable_sets(), st.sampled_from(FILL_NA_METHODS))
def test_alignment_properties(variables, method):
    outer = prepare_variables(variables, align_mode="Outer", fill_na_method=method, padding_value=-1.0)
    union = sorted(set().union(*(_observed(v) for v in variables)))
    assert list(outer.timestamps) == union
    assert not np.isnan(outer.values).any() and outer.values.dtype == np.float32
    states = {s["variable"]: s for s in outer.variable_states}
    ratios = [s["filledNARatio"] for s in outer.variable_states]
    assert ratios == sorted(ratios, reverse=True)
    for j, variable in enumerate(variables):
        observed = _observed(variable)
        column = dict(zip(outer.timestamps, outer.values[:, j]))
        assert all(column[ts] == value for ts, value in observed.items())  # observed values are kept exactly
        state = states[variable["variable"]]
        assert state["effectiveCount"] == len(observed)
        assert np.isclose(state["filledNARatio"], 1 - len(observed) / len(outer))
        assert pd.Timestamp(state["firstTimestamp"]) == min(observed)
        assert pd.Timestamp(state["lastTimestamp"]) == max(observed)
        if method in ("Linear", "Previous", "Subsequent"):  # fills stay within the observed range
            low, high = min(observed.values()), max(observed.values())
            assert all(low <= v <= high for v in column.values())
    common = set.intersection(*(set(_observed(v)) for v in variables))
    try:
        inner = prepare_variables(variables, align_mode="Inner", fill_na_method=method, padding_value=-1.0)
    except MvadError as error:
        assert error.code == "NotEnoughInput" and not common
    else:
        assert list(inner.timestamps) == sorted(common)
        assert set(inner.timestamps) <= set(outer.timestamps)
        assert all(s["filledNARatio"] == 0 for s in inner.variable_states)


@FAST
@given(variable_sets())
def test_one_table_multi_table_and_json_agree(variables):
    """The same data as a OneTable CSV (empty cells), a MultiTable zip and a detect-last body: the same frame."""
    expected = prepare_variables(variables)
    wide = pd.DataFrame({v["variable"]: pd.Series(v["values"], index=v["timestamps"], dtype=np.float32)
                         for v in variables}).sort_index()
    csv = wide.rename_axis("timestamp").reset_index().to_csv(index=False, float_format="%.9g")
    members = io.BytesIO()
    with zipfile.ZipFile(members, "w") as archive:
        for v in variables:
            archive.writestr(f"{v['variable']}.csv", pd.DataFrame({"timestamp": v["timestamps"], "value": v["values"]})
                             .to_csv(index=False, float_format="%.9g"))
    for frame in (prepare(csv.encode()), prepare(members.getvalue(), schema="MultiTable")):
        assert frame.variables == expected.variables
        assert frame.timestamps.equals(expected.timestamps)
        np.testing.assert_array_equal(frame.values, expected.values)
        assert frame.variable_states == expected.variable_states


offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
instants = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2200, 1, 1))


@FAST
@given(st.lists(st.tuples(instants, offsets), min_size=1, max_size=15, unique_by=lambda p: p[0]))
def test_timestamps_in_any_offset_parse_to_the_same_utc_instant(pairs):
    utc = [t.replace(tzinfo=dt.timezone.utc) for t, _ in pairs]
    written = [u.astimezone(z).isoformat() for u, (_, z) in zip(utc, pairs)]
    frame = prepare_variables([{"variable": "x", "timestamps": written, "values": list(range(len(written)))}])
    assert list(frame.timestamps) == sorted(pd.Timestamp(u) for u in utc)
    order = np.argsort([u.timestamp() for u in utc], kind="stable")
    assert frame.values[:, 0].tolist() == [float(i) for i in order]  # rows are sorted by time, values follow
