"""A small real run: train on the shipped sample, inject a spike into two variables, find it and its cause."""
import pytest

from mvad_engine import MvadModel, PreparedFrame, prepare

TRAIN_ROWS = 2500


pytestmark = pytest.mark.usefixtures("one_thread")


def test_injected_spike_is_flagged_with_its_two_variables_on_top(samples):
    frame = prepare(samples / "sample_data_5_3000.csv")
    train = PreparedFrame(frame.timestamps[:TRAIN_ROWS], frame.values[:TRAIN_ROWS], frame.variables, [])
    model = MvadModel(sliding_window=100, epochs=5, windows_per_epoch=1024, seed=0).fit(train)

    values = frame.values.copy()
    spike_rows = [2700, 2701, 2702, 2850, 2851, 2852]  # two short bursts
    spiked = [frame.variables.index("series_1"), frame.variables.index("series_3")]
    std = train.values.std(axis=0)
    for r in spike_rows:
        values[r, spiked] += 6 * std[spiked]
    test = PreparedFrame(frame.timestamps, values, frame.variables, frame.variable_states)

    results = model.detect(test, start=frame.timestamps[TRAIN_ROWS])
    by_time = {r["timestamp"]: r["value"] for r in results}
    for r in spike_rows[1:3] + spike_rows[4:]:  # the burst's first row can still be diluted by the smoothing
        value = by_time[frame.timestamps[r].strftime("%Y-%m-%dT%H:%M:%SZ")]
        assert value["isAnomaly"], value
        assert value["severity"] > 0
        top_two = {i["variable"] for i in value["interpretation"][:2]}
        assert top_two == {"series_1", "series_3"}
    # the untouched held-back rows are mostly normal
    flagged = sum(v["isAnomaly"] for v in by_time.values())
    assert flagged <= 0.1 * len(by_time)
