"""Every bad input raises MvadError with the service's code and a message naming what is at fault."""
from __future__ import annotations

import struct
import zipfile

import pytest
from archives import zip_bytes

from mvad_engine import MvadError, limits, prepare, prepare_variables

GOOD = "timestamp,a,b\n2021-01-01T00:00:00Z,1,2\n2021-01-01T00:01:00Z,3,4\n"
MEMBER = "timestamp,value\n2021-01-01T00:00:00Z,1\n2021-01-01T00:01:00Z,2\n"


def error_of(call, *args, **kwargs) -> MvadError:
    with pytest.raises(MvadError) as err:
        call(*args, **kwargs)
    return err.value


def one_table_error(tmp_path, text: str, **kwargs) -> MvadError:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return error_of(prepare, path, **kwargs)


@pytest.mark.parametrize("text, code, named", [
    ("", "NotEnoughInput", "empty"),
    ("timestamp,a\n", "NotEnoughInput", "no data rows"),
    ("time,a\n2021-01-01T00:00:00Z,1\n", "FileColumnsNotExist", "'timestamp'"),
    ("timestamp,a,\n2021-01-01T00:00:00Z,1,2\n", "FileColumnsNotExist", "column 3"),
    ("timestamp\n2021-01-01T00:00:00Z\n", "NoVariablesFound", "data.csv"),
    ("timestamp,a,a\n2021-01-01T00:00:00Z,1,2\n", "DuplicatedVariables", "a"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1,2\n2021-01-01T00:01:00Z,x1,2\n", "VariableParseError", "column 'a', data row 2"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1,2\n2021-01-01T00:01:00Z,1,NaN\n", "VariableParseError", "column 'b', data row 2"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1,null\n", "VariableParseError", "'null'"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1,2\n2021-01-01T00:01:00Z,-inf,2\n", "VariableParseError", "column 'a', data row 2"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1e39,2\n", "VariableParseError", "float32"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1,2,3\n", "VariableParseError", "data.csv"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1,2\n01/02/2021 00:01,1,2\n", "InvalidTimestampFormat", "data row 2"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1,2\n,1,2\n", "InvalidTimestampFormat", "data row 2"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1,2\n2021-01-01T01:00:00+01:00,1,2\n", "VariableParseError", "appears twice"),
    ("timestamp,a,b\n2021-01-01T00:00:00Z,1,\n2021-01-01T00:01:00Z,1,\n", "NotEnoughInput", "b"),
])
def test_one_table_errors(tmp_path, text, code, named):
    error = one_table_error(tmp_path, text)
    assert error.code == code
    assert named in error.message


def test_duplicate_timestamp_names_both_rows(tmp_path):
    error = one_table_error(tmp_path, GOOD + "2021-01-01T00:00:00Z,5,6\n")
    assert "data rows 1 and 3" in error.message


def test_non_utf8_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"timestamp,\xff\xfe\n2021-01-01T00:00:00Z,1\n")
    assert error_of(prepare, path).code == "VariableParseError"


def test_missing_file(tmp_path):
    assert error_of(prepare, tmp_path / "nope.csv").code == "FileNotExist"


@pytest.mark.parametrize("kwargs, code", [
    (dict(start="2022-01-01T00:00:00Z"), "NotEnoughInput"),
    (dict(end="2020-01-01T00:00:00Z"), "NotEnoughInput"),
    (dict(start="2021-01-01T00:00:30Z", end="2021-01-01T00:00:40Z"), "NotEnoughInput"),
    (dict(start="yesterday"), "InvalidTimestampFormat"),
    (dict(start="2021-01-01T00:01:00Z", end="2021-01-01T00:00:00Z"), "InvalidTimeRange"),
    (dict(max_timestamps=1), "DataExceedsLimit"),
    (dict(align_mode="inner"), "InvalidAlignMode"),
    (dict(fill_na_method="NotFill"), "InvalidFillNAMethod"),
    (dict(fill_na_method="Fixed"), "RequiredPaddingValue"),
    (dict(fill_na_method="Fixed", padding_value=float("nan")), "InvalidPaddingValue"),
    (dict(fill_na_method="Fixed", padding_value="0"), "InvalidPaddingValue"),
    (dict(padding_value=1e39), "InvalidPaddingValue"),
    (dict(schema="TwoTables"), "InvalidDataSchema"),
])
def test_parameter_and_range_errors(tmp_path, kwargs, code):
    assert one_table_error(tmp_path, GOOD, **kwargs).code == code


def test_inner_alignment_with_no_common_timestamp():
    data = zip_bytes({"x.csv": "timestamp,value\n2021-01-01T00:00:00Z,1\n",
                      "y.csv": "timestamp,value\n2021-01-01T00:01:00Z,1\n"})
    assert error_of(prepare, data, schema="MultiTable", align_mode="Inner").code == "NotEnoughInput"


def test_too_many_variables(tmp_path):
    columns = ",".join(f"v{i}" for i in range(limits.MAX_VARIABLES + 1))
    error = one_table_error(tmp_path, f"timestamp,{columns}\n")
    assert error.code == "TooManyData" and "302" in error.message


@pytest.mark.parametrize("members, code, named", [
    ({}, "NoVariablesFound", "zip"),
    ({"notes.txt": "x", "__MACOSX/._a.csv": "x"}, "NoVariablesFound", "zip"),
    ({"a.csv": MEMBER, "sub/a.csv": MEMBER}, "DuplicatedVariables", "sub/a.csv"),
    ({"a.csv": "time,value\n2021-01-01T00:00:00Z,1\n"}, "FileColumnsNotExist", "a.csv"),
    ({"a.csv": "timestamp,value,extra\n2021-01-01T00:00:00Z,1,2\n"}, "FileColumnsNotExist", "a.csv"),
    ({"a.csv": MEMBER, "b.csv": "timestamp,value\n2021-01-01T00:00:00Z,oops\n"}, "VariableParseError", "b.csv"),
    ({"a.csv": MEMBER, "b.csv": "timestamp,value\n2021-13-01T00:00:00Z,1\n"}, "InvalidTimestampFormat", "b.csv"),
    ({"a.csv": MEMBER, "b.csv": ""}, "NotEnoughInput", "b.csv"),
    ({"a.csv": MEMBER, "b.csv": "timestamp,value\n"}, "NotEnoughInput", "b.csv"),
    ({"../evil.csv": MEMBER}, "InvalidFileFormat", "../evil.csv"),
    ({"/abs.csv": MEMBER}, "InvalidFileFormat", "/abs.csv"),
])
def test_archive_errors(members, code, named):
    error = error_of(prepare, zip_bytes(members), schema="MultiTable")
    assert error.code == code
    assert named in error.message


def test_not_a_zip():
    assert error_of(prepare, b"timestamp,value\n", schema="MultiTable").code == "NoVariablesFound"
    assert error_of(prepare, b"PK\x03\x04 broken", schema="MultiTable").code == "InvalidFileFormat"


def test_one_table_zip_with_several_csvs():
    assert error_of(prepare, zip_bytes({"a.csv": MEMBER, "b.csv": MEMBER})).code == "NoVariablesFound"


def test_too_many_csv_files_are_refused_before_reading(monkeypatch):
    monkeypatch.setattr(limits, "MAX_VARIABLES", 3)
    data = zip_bytes({f"v{i}.csv": "unreadable" for i in range(4)})
    assert error_of(prepare, data, schema="MultiTable").code == "TooManyData"


def test_too_many_entries(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ARCHIVE_ENTRIES", 5)
    data = zip_bytes({f"notes{i}.txt": "x" for i in range(6)})
    assert error_of(prepare, data, schema="MultiTable").code == "TooManyData"


def test_zip_bomb_is_refused_from_the_directory():
    # 4 MiB of zeros compress about 1000 times: refused from the directory, before any decompression
    bomb = zip_bytes({"a.csv": b"0" * (4 * 2**20)})
    assert len(bomb) < 2**15
    error = error_of(prepare, bomb, schema="MultiTable")
    assert error.code == "InvalidFileSize" and "a.csv" in error.message


def test_member_larger_than_its_directory_entry_is_refused():
    # the directory says 40 bytes: reading stops there and the checksum fails
    data = bytearray(zip_bytes({"a.csv": MEMBER * 20}))
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 40)
    struct.pack_into("<I", data, 22, 40)
    error = error_of(prepare, bytes(data), schema="MultiTable")
    assert error.code == "InvalidFileFormat" and "a.csv" in error.message


def test_total_uncompressed_size_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ARCHIVE_BYTES", 100)
    data = zip_bytes({"a.csv": MEMBER, "b.csv": MEMBER})
    assert error_of(prepare, data, schema="MultiTable").code == "InvalidFileSize"


def test_encrypted_member_is_refused():
    data = bytearray(zip_bytes({"a.csv": MEMBER}, zipfile.ZIP_STORED))
    # set the "encrypted" flag bit in the local header and in the central directory entry
    data[6] |= 1
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 1
    assert error_of(prepare, bytes(data), schema="MultiTable").code == "InvalidFileFormat"


def test_folder_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    assert error_of(prepare, tmp_path / "empty", schema="MultiTable").code == "NoVariablesFound"
    (tmp_path / "dup" / "sub").mkdir(parents=True)
    (tmp_path / "dup" / "a.csv").write_text(MEMBER)
    (tmp_path / "dup" / "sub" / "a.csv").write_text(MEMBER)
    assert error_of(prepare, tmp_path / "dup", schema="MultiTable").code == "DuplicatedVariables"


# ------------------------------------------------------------------ detect-last bodies

def _var(name="a", stamps=("2021-01-01T00:00:00Z", "2021-01-01T00:01:00Z"), values=(1.0, 2.0)):
    return {"variable": name, "timestamps": list(stamps), "values": list(values)}


@pytest.mark.parametrize("variables, code, named", [
    ([], "NoVariablesFound", "variables"),
    ("a", "NoVariablesFound", "variables"),
    ([_var(), _var()], "DuplicatedVariables", "'a'"),
    ([{"variable": "a", "values": [1]}], "InvalidInputFormat", "variables[0]"),
    ([_var(name="")], "InvalidInputFormat", "variables[0]"),
    ([_var(values=(1.0,))], "VariableParseError", "1 values"),
    ([_var(values=(1.0, float("nan")))], "VariableParseError", "values[1]"),
    ([_var(values=(1.0, None))], "VariableParseError", "values[1]"),
    ([_var(values=(1.0, "2"))], "VariableParseError", "values[1]"),
    ([_var(values=(1.0, True))], "VariableParseError", "values[1]"),
    ([_var(values=(1.0, 1e39))], "VariableParseError", "float32"),
    ([_var(stamps=("2021-01-01T00:00:00Z", "soon"))], "InvalidTimestampFormat", "data row 2"),
    ([_var(stamps=("2021-01-01T00:00:00Z", 5))], "InvalidTimestampFormat", "timestamps[1]"),
    ([_var(stamps=("2021-01-01T00:00:00Z", "2021-01-01T00:00:00Z"))], "VariableParseError", "appears twice"),
    ([_var(stamps=(), values=())], "NotEnoughInput", "'a'"),
])
def test_variables_errors(variables, code, named):
    error = error_of(prepare_variables, variables)
    assert error.code == code
    assert named in error.message


def test_variables_limits():
    many = [_var(name=f"v{i}") for i in range(limits.MAX_VARIABLES + 1)]
    assert error_of(prepare_variables, many).code == "TooManyData"
    assert error_of(prepare_variables, [_var()], max_timestamps=1).code == "DataExceedsLimit"
