"""Detection: result shape and value ranges, history errors, batch == last, variable checks, limits."""
import numpy as np
import pandas as pd
import pytest

from mvad_engine import MvadError, MvadModel, PreparedFrame

WINDOW = 28


pytestmark = pytest.mark.usefixtures("one_thread")


def make_frame(rows=400, variables=("a", "b", "c", "d"), seed=0) -> PreparedFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    # two smooth periodic variables and two of independent noise (whose usual correlation is near 0)
    values = np.stack([np.sin(t / (5 + i)) + 0.1 * rng.standard_normal(rows) if i % 3 == 0
                       else 0.5 * rng.standard_normal(rows) for i in range(len(variables))], 1)
    ts = pd.date_range("2021-01-01", periods=rows, freq="min", tz="UTC")
    return PreparedFrame(ts, values.astype(np.float32), list(variables), [])


def with_spikes(frame: PreparedFrame, rows, columns, size=8.0) -> PreparedFrame:
    values = frame.values.copy()
    for r in rows:
        values[r, columns] += size
    return PreparedFrame(frame.timestamps, values, frame.variables, frame.variable_states)


def sub(frame: PreparedFrame, lo, hi=None) -> PreparedFrame:
    return PreparedFrame(frame.timestamps[lo:hi], frame.values[lo:hi], frame.variables, frame.variable_states)


@pytest.fixture(scope="module")
def fitted():
    frame = make_frame()
    model = MvadModel(sliding_window=WINDOW, epochs=3, windows_per_epoch=256, batch_size=64).fit(frame)
    test = with_spikes(make_frame(seed=1), rows=[200, 201, 300], columns=[1, 2], size=5.0)
    return model, test


def test_items_shape_and_value_ranges(fitted):
    model, test = fitted
    results = model.detect(test, top_contributors=2)
    assert [r["timestamp"] for r in results] == [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in test.timestamps]
    for item in results[:WINDOW]:
        assert set(item) == {"timestamp", "errors"}
        assert item["errors"][0]["code"] == "InsufficientHistoricalData"
    flagged = 0
    for item in results[WINDOW:]:
        assert item["errors"] == []
        v = item["value"]
        assert 0.0 <= v["score"] <= 2.0
        if v["isAnomaly"]:
            flagged += 1
            assert 0.0 < v["severity"] <= 1.0 and v["score"] > 1.0
            interp = v["interpretation"]
            assert len(interp) == 2
            assert sum(i["contributionScore"] for i in interp) <= 1.0 + 1e-9
            assert interp[0]["contributionScore"] >= interp[1]["contributionScore"]
            for i in interp:
                cc = i["correlationChanges"]
                assert len(cc["changedVariables"]) == len(cc["changedValues"])
                assert i["variable"] not in cc["changedVariables"]
                assert all(0.0 <= x <= 1.0 for x in cc["changedValues"])
        else:
            assert v["severity"] == 0.0 and v["score"] <= 1.0
            assert "interpretation" not in v
    assert flagged >= 3  # the spikes are found
    assert flagged < 0.2 * (len(results) - WINDOW)


def test_contributions_over_all_variables_sum_to_one(fitted):
    model, test = fitted
    item = model.detect(test, top_contributors=100)[200]  # clipped to the 4 variables
    interp = item["value"]["interpretation"]
    assert sorted(i["variable"] for i in interp) == ["a", "b", "c", "d"]
    assert sum(i["contributionScore"] for i in interp) == pytest.approx(1.0)
    assert {interp[0]["variable"], interp[1]["variable"]} == {"b", "c"}


def test_spiked_pair_reports_a_correlation_change(fitted):
    model, test = fitted
    interp = model.detect(test)[201]["value"]["interpretation"]
    b = next(i for i in interp if i["variable"] == "b")
    assert "c" in b["correlationChanges"]["changedVariables"]


def test_start_end_select_rows_and_earlier_rows_are_history(fitted):
    model, test = fitted
    full = model.detect(test)
    part = model.detect(test, start=test.timestamps[100], end=test.timestamps[150].isoformat())
    assert part == full[100:151]
    early = model.detect(test, start=test.timestamps[10], end=test.timestamps[40])
    assert [r["errors"][0]["code"] for r in early[:WINDOW - 10]] == ["InsufficientHistoricalData"] * (WINDOW - 10)
    assert early[WINDOW - 10:] == full[WINDOW:41]


def test_batch_and_last_give_identical_values(fitted):
    model, test = fitted
    full = model.detect(test)
    for end in (205, 301, 400):
        last = model.detect_last(sub(test, 0, end))
        assert len(last) == 10
        assert last == full[end - 10:end]
    # only the timestamps with a full window before them are answered (the spec's example: 30 rows, window 28 -> 2)
    short = model.detect_last(sub(test, 100, 100 + WINDOW + 2))
    assert short == full[100 + WINDOW:100 + WINDOW + 2]


def test_reordered_variables_are_realigned(fitted):
    model, test = fitted
    order = [3, 1, 0, 2]
    shuffled = PreparedFrame(test.timestamps, test.values[:, order], [test.variables[i] for i in order], [])
    assert model.detect_last(shuffled) == model.detect_last(test)


@pytest.mark.parametrize("variables", [("a", "b", "c"), ("a", "b", "c", "d", "e"), ("a", "b", "c", "x")])
def test_variables_other_than_the_models_are_an_error(fitted, variables):
    model, _ = fitted
    frame = make_frame(rows=100, variables=variables)
    for call in (model.detect, model.detect_last):
        with pytest.raises(MvadError) as e:
            call(frame)
        assert e.value.code == "InvalidVariables"


def test_less_than_one_window_of_data_is_not_enough_input(fitted):
    model, test = fitted
    for call in (model.detect, model.detect_last):
        with pytest.raises(MvadError) as e:
            call(sub(test, 0, WINDOW))
        assert e.value.code == "NotEnoughInput"


def test_more_than_20000_timestamps_to_detect_is_rejected(fitted):
    model, _ = fitted
    big = make_frame(rows=20_001)
    with pytest.raises(MvadError) as e:
        model.detect(big)
    assert e.value.code == "DataExceedsLimit"
    assert len(model.detect(big, start=big.timestamps[1])) == 20_000


@pytest.mark.parametrize("top", [0, -1, 1.5, "3"])
def test_top_contributors_is_validated(fitted, top):
    model, test = fitted
    with pytest.raises(MvadError) as e:
        model.detect_last(test, top_contributors=top)
    assert e.value.code == "InvalidTopContributorCount"


def test_score_frame_matches_detect_scores(fitted):
    model, test = fitted
    scores = model.score_frame(test)
    assert np.isnan(scores[:WINDOW]).all()
    detected = [r["value"]["score"] for r in model.detect(test)[WINDOW:]]
    np.testing.assert_allclose(scores[WINDOW:], detected, rtol=1e-6)
