"""prepare(): schemas, sources, clipping and variable states on the shipped sample and on small files."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from mvad_engine import MvadError, PreparedFrame, prepare

START, END = "2021-01-01T00:00:00Z", "2021-01-02T09:19:00Z"  # the documentation's training range


def zip_bytes(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def assert_same_frame(a: PreparedFrame, b: PreparedFrame):
    assert a.variables == b.variables
    assert a.timestamps.equals(b.timestamps)
    # the sample CSV rounds to 9 digits, the zip keeps 17: equal to float32 precision
    np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-6)
    assert a.variable_states == b.variable_states


@pytest.fixture(scope="module")
def one_table(samples):
    return prepare(samples / "sample_data_5_3000.csv", start=START, end=END)


def test_sample_one_table(one_table):
    assert one_table.values.shape == (2000, 5) and one_table.values.dtype == np.float32
    assert one_table.values.flags["C_CONTIGUOUS"]
    assert one_table.variables == [f"series_{i}" for i in range(5)]
    assert str(one_table.timestamps.tz) == "UTC" and one_table.timestamps.is_monotonic_increasing
    assert one_table.timestamps[0] == pd.Timestamp(START) and one_table.timestamps[-1] == pd.Timestamp(END)
    assert one_table.values[0].tolist() == np.float32([-0.029422617, -0.473649498, -0.19224458, 1.34695095,
                                                      1.289715846]).tolist()  # the file's first row


def test_sample_variable_states_over_the_documented_ranges(samples, one_table):
    # The documentation's model on this range reports effectiveCount 1999, filledNARatio 0.0005 and first timestamp
    # 00:01. The shipped sample has a value at every minute of the range, so here every variable is complete.
    assert one_table.variable_states == [
        {"variable": f"series_{i}", "filledNARatio": 0.0, "effectiveCount": 2000,
         "firstTimestamp": START, "lastTimestamp": END} for i in range(5)]
    # The quickstart's range 2021-01-02T00:00:00Z..05:00:00Z reports 301 values, none filled: reproduced exactly.
    frame = prepare(samples / "sample_data_5_3000.csv", start="2021-01-02T00:00:00Z", end="2021-01-02T05:00:00Z")
    assert [(s["effectiveCount"], s["filledNARatio"], s["firstTimestamp"], s["lastTimestamp"])
            for s in frame.variable_states] == [(301, 0.0, "2021-01-02T00:00:00Z", "2021-01-02T05:00:00Z")] * 5


def test_multi_table_zip_path_bytes_and_folder_equal_one_table(samples, one_table, tmp_path):
    archive = samples / "multivariate_sample_data_5_3000.zip"
    assert_same_frame(prepare(archive, schema="MultiTable", start=START, end=END), one_table)
    assert_same_frame(prepare(archive.read_bytes(), schema="MultiTable", start=START, end=END), one_table)
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "folder")
    assert_same_frame(prepare(tmp_path / "folder", schema="MultiTable", start=START, end=END), one_table)


def test_one_table_from_bytes_equals_from_path(samples, one_table):
    data = (samples / "sample_data_5_3000.csv").read_bytes()
    assert_same_frame(prepare(data, start=START, end=END), one_table)


@pytest.mark.parametrize("start, end, first, count", [
    ("2020-01-01T00:00:00Z", "2021-01-01T00:02:00Z", "2021-01-01T00:00:00Z", 3),  # start before the data
    ("2021-01-03T01:57:00Z", "2030-01-01T00:00:00Z", "2021-01-03T01:57:00Z", 3),  # end after the data
    ("2021-01-01T00:05:00Z", "2021-01-01T00:05:00Z", "2021-01-01T00:05:00Z", 1),  # one point
    ("2021-01-01T01:05:00+01:00", "2021-01-01T00:06:00Z", "2021-01-01T00:05:00Z", 2),  # offsets convert to UTC
    ("2021-01-01T00:04:30Z", "2021-01-01T00:06:30Z", "2021-01-01T00:05:00Z", 2),  # between timestamps
    (None, None, "2021-01-01T00:00:00Z", 3000),
])
def test_clipping(samples, start, end, first, count):
    frame = prepare(samples / "sample_data_5_3000.csv", start=start, end=end)
    assert len(frame) == count == frame.values.shape[0]
    assert frame.timestamps[0] == pd.Timestamp(first)


def test_start_after_end_is_an_error(samples):
    with pytest.raises(MvadError) as err:
        prepare(samples / "sample_data_5_3000.csv", start="2021-01-02T00:00:00Z", end="2021-01-01T00:00:00Z")
    assert err.value.code == "InvalidTimeRange"


def test_unsorted_rows_mixed_offsets_and_empty_cells(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("timestamp,a,b\n"
                    "2021-01-01T02:00:00+02:00,1,10\n"  # 00:00Z
                    "2021-01-01T00:02:00Z,3,\n"
                    "2021-01-01 00:01:00,,20\n")  # naive: UTC
    frame = prepare(path)
    assert [ts.isoformat() for ts in frame.timestamps] == [
        "2021-01-01T00:00:00+00:00", "2021-01-01T00:01:00+00:00", "2021-01-01T00:02:00+00:00"]
    assert frame.values.tolist() == [[1, 10], [2, 20], [3, 20]]
    states = frame.variable_states
    assert [s["variable"] for s in states] == ["a", "b"]  # equal ratios keep the column order
    assert states[1]["lastTimestamp"] == "2021-01-01T00:01:00Z" and states[1]["effectiveCount"] == 2


def test_blank_lines_bom_and_spaces_in_the_header(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\xef\xbb\xbftimestamp, a\n2021-01-01T00:00:00Z,1\n\n2021-01-01T00:01:00Z,2\n")
    frame = prepare(path)
    assert frame.variables == ["a"] and frame.values[:, 0].tolist() == [1, 2]


def test_outer_drops_rows_where_no_variable_has_a_value(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("timestamp,a,b\n2021-01-01T00:00:00Z,1,2\n2021-01-01T00:01:00Z,,\n2021-01-01T00:02:00Z,3,4\n")
    assert len(prepare(path)) == 2


def test_zip_ignores_macos_hidden_and_other_files_and_accepts_unique_nested_csvs():
    member = "timestamp,value\n2021-01-01T00:00:00Z,1\n2021-01-01T00:01:00Z,2\n"
    data = zip_bytes({
        "data/": "", "data/a.csv": member, "data/more/b.csv": member, "README.txt": "not data",
        "__MACOSX/data/._a.csv": "junk", "data/.hidden.csv": "junk",
    })
    frame = prepare(data, schema="MultiTable")
    assert frame.variables == ["a", "b"]


def test_multi_table_alignment_with_different_timestamps():
    data = zip_bytes({
        "x.csv": "timestamp,value\n2021-01-01T00:00:00Z,1\n2021-01-01T00:02:00Z,3\n",
        "y.csv": "value,timestamp\n5,2021-01-01T00:01:00Z\n6,2021-01-01T00:02:00Z\n,2021-01-01T00:03:00Z\n",
    })
    outer = prepare(data, schema="MultiTable", fill_na_method="Previous")
    assert outer.values.tolist() == [[1, 5], [1, 5], [3, 6]]  # y's empty cell at 00:03 is no value: row dropped
    inner = prepare(data, schema="MultiTable", align_mode="Inner")
    assert inner.values.tolist() == [[3, 6]]


def test_one_table_accepts_a_zip_holding_one_csv(samples, one_table):
    data = zip_bytes({"sample.csv": (samples / "sample_data_5_3000.csv").read_text()})
    assert_same_frame(prepare(data, start=START, end=END), one_table)


def test_frame_round_trips_through_save(samples, tmp_path, one_table):
    one_table.save(tmp_path / "frame.npz")
    assert_same_frame(PreparedFrame.load(tmp_path / "frame.npz"), one_table)
