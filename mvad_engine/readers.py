"""Reading customer data into one wide table: OneTable CSVs, MultiTable zips or folders, detect-last JSON bodies.

Every reader returns a :class:`RawTable`: sorted unique UTC timestamps, one float32 column per variable, NaN where
a variable has no value at a timestamp. Cell rules (the same for every schema):

- an empty cell is a missing value (filled later by ``fillNAMethod``);
- any other cell must be a finite number: ``NaN``, ``inf``, ``null`` or text are ``VariableParseError``;
- timestamps are ISO 8601, any offset (converted to UTC; naive ones are taken as UTC); rows are sorted by time;
  a timestamp repeated within one variable is ``VariableParseError``.

Zip archives are read in memory, member by member, after their directory passed the limits in ``limits.py``.
CSVs at any depth of the archive or folder are variables (named after the file stem) as long as the names are
unique; ``__MACOSX/``, hidden files and non-CSV files are ignored.
"""
from __future__ import annotations

import csv
import io
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np
import pandas as pd

from mvad_engine import limits
from mvad_engine.errors import MvadError

TIMESTAMP = "timestamp"
VALUE = "value"
_BROKEN_ARCHIVE = (zipfile.BadZipFile, zlib.error, EOFError)
_CHECK_CHUNK_ROWS = 100_000  # rows per chunk when hunting down a bad cell after a failed fast parse


@dataclass
class RawTable:
    """Variables on the union of their timestamps, before clipping, alignment and filling."""

    timestamps: np.ndarray  # int64 ns since epoch (UTC), strictly increasing
    values: np.ndarray  # float32 (len(timestamps), len(variables)); NaN: no value
    variables: list[str]


@dataclass
class CsvFile:
    """A CSV to read: a name for messages and a way to open it (binary) as often as needed."""

    name: str
    open: Callable[[], io.IOBase]


# ---------------------------------------------------------------- sources


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def one_table_file(source) -> CsvFile:
    """The CSV of a OneTable source: a .csv path or CSV bytes (a zip holding exactly one CSV is accepted too)."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if is_zip(data):
            return _single(_zip_csv_files(data, "the zip archive"), "the zip archive")
        return CsvFile("the CSV data", lambda: io.BytesIO(data))
    path = Path(source)
    if path.is_dir():
        return _single(_folder_csv_files(path), str(path))
    if not path.is_file():
        raise MvadError("FileNotExist", f"File {path} does not exist.")
    if zipfile.is_zipfile(path):
        return _single(_zip_csv_files(path, path.name), path.name)
    return CsvFile(path.name, lambda: open(path, "rb"))


def multi_table_files(source) -> list[CsvFile]:
    """The one-variable CSVs of a MultiTable source: a zip (path or bytes) or a folder."""
    if isinstance(source, (bytes, bytearray)):
        if not is_zip(bytes(source)):
            raise MvadError("NoVariablesFound", "MultiTable data must be a zip archive of CSV files or a folder "
                                                "of them.")
        return _zip_csv_files(bytes(source), "the zip archive")
    path = Path(source)
    if path.is_dir():
        return _folder_csv_files(path)
    if not path.is_file():
        raise MvadError("FileNotExist", f"File {path} does not exist.")
    if not zipfile.is_zipfile(path):
        raise MvadError("NoVariablesFound", f"{path.name} is not a zip archive; MultiTable data must be a zip archive "
                                            "of CSV files or a folder of them.")
    return _zip_csv_files(path, path.name)


def _single(files: list[CsvFile], where: str) -> CsvFile:
    if len(files) != 1:
        raise MvadError("NoVariablesFound", f"OneTable data must be one CSV file; {where} holds {len(files)} CSV "
                                            "files.")
    return files[0]


def _ignored(parts: tuple[str, ...]) -> bool:
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def _folder_csv_files(folder: Path) -> list[CsvFile]:
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if _ignored(rel) or not path.is_file() or path.suffix.lower() != ".csv":
            continue
        files.append(CsvFile(str(PurePosixPath(*rel)), lambda p=path: open(p, "rb")))
    _check_csv_count(files, folder.name)
    return files


def _zip_csv_files(source, label: str) -> list[CsvFile]:
    """Check the archive's directory against the limits, then list its CSV members (nothing is read yet)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise MvadError("InvalidFileFormat", f"{label} is not a readable zip archive: {exc}.") from exc
    entries = archive.infolist()
    if len(entries) > limits.MAX_ARCHIVE_ENTRIES:
        raise MvadError("TooManyData", f"{label} holds {len(entries)} entries; at most {limits.MAX_ARCHIVE_ENTRIES} "
                                       "are accepted.")
    total = 0
    files = []
    for info in entries:
        name = info.filename
        parts = PurePosixPath(name).parts
        if name.startswith(("/", "\\")) or "\\" in name or ".." in parts or (parts and ":" in parts[0]):
            raise MvadError("InvalidFileFormat", f"{label} holds an unsafe member name '{name}'.")
        if info.is_dir() or not parts or _ignored(parts) or not name.lower().endswith(".csv"):
            continue
        if info.flag_bits & 0x1:
            raise MvadError("InvalidFileFormat", f"{label}: member '{name}' is encrypted.")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.COMPRESSION_RATIO_MIN_BYTES and ratio > limits.MAX_COMPRESSION_RATIO:
            raise MvadError("InvalidFileSize", f"{label}: member '{name}' expands {ratio:.0f} times; at most "
                                               f"{limits.MAX_COMPRESSION_RATIO} is accepted.")
        total += info.file_size
        files.append(CsvFile(name, lambda i=info: archive.open(i)))  # ZipExtFile stops at the declared size
    if total > limits.MAX_ARCHIVE_BYTES:
        raise MvadError("InvalidFileSize", f"{label} expands to {total} bytes; at most {limits.MAX_ARCHIVE_BYTES} "
                                           "are accepted.")
    _check_csv_count(files, label)
    return files


def _check_csv_count(files: list[CsvFile], label: str) -> None:
    if not files:
        raise MvadError("NoVariablesFound", f"No CSV files found in {label}.")
    if len(files) > limits.MAX_VARIABLES:
        raise MvadError("TooManyData", f"{label} holds {len(files)} CSV files (variables); at most "
                                       f"{limits.MAX_VARIABLES} are accepted.")


# ---------------------------------------------------------------- CSV parsing


def read_one_table(source) -> RawTable:
    """OneTable: a ``timestamp`` column and one column per variable."""
    file = one_table_file(source)
    header = _header(file)
    if TIMESTAMP not in header:
        raise MvadError("FileColumnsNotExist", f"{file.name}: the column '{TIMESTAMP}' does not exist "
                                               f"(columns: {', '.join(header)}).")
    variables = [c for c in header if c != TIMESTAMP]
    if not variables:
        raise MvadError("NoVariablesFound", f"{file.name}: no variable columns besides '{TIMESTAMP}'.")
    if len(variables) > limits.MAX_VARIABLES:
        raise MvadError("TooManyData", f"{file.name} has {len(variables)} variable columns; at most "
                                       f"{limits.MAX_VARIABLES} are accepted.")
    timestamps, values = _read_csv(file, header, variables)
    order = sorted_order(timestamps, file.name)
    if order is not None:
        timestamps, values = timestamps[order], values[order]
    return RawTable(timestamps, values, variables)


def read_multi_table(source) -> RawTable:
    """MultiTable: one ``timestamp,value`` CSV per variable, named after the file stem."""
    files = multi_table_files(source)
    names = [PurePosixPath(f.name).stem for f in files]
    seen: dict[str, str] = {}
    for name, file in zip(names, files):
        if not name:
            raise MvadError("VariableParseError", f"{file.name}: the file name gives no variable name.")
        if name in seen:
            raise MvadError("DuplicatedVariables", f"Variable '{name}' comes from both {seen[name]} and {file.name}.")
        seen[name] = file.name
    series = []
    for file in files:
        header = _header(file)
        if sorted(header) != [TIMESTAMP, VALUE]:
            raise MvadError("FileColumnsNotExist", f"{file.name}: the columns must be '{TIMESTAMP}' and '{VALUE}' "
                                                   f"(found: {', '.join(header)}).")
        timestamps, values = _read_csv(file, header, [VALUE])
        keep = ~np.isnan(values[:, 0])  # an empty cell in a one-variable file: no value at that time
        timestamps, values = timestamps[keep], values[keep, 0]
        order = sorted_order(timestamps, file.name)
        if order is not None:
            timestamps, values = timestamps[order], values[order]
        series.append((timestamps, values))
    return merge(series, names)


def merge(series: list[tuple[np.ndarray, np.ndarray]], variables: list[str]) -> RawTable:
    """Put one-variable series (sorted unique int64 timestamps, float values) on the union of their timestamps."""
    union = np.unique(np.concatenate([ts for ts, _ in series])) if series else np.empty(0, np.int64)
    values = np.full((len(union), len(series)), np.nan, dtype=np.float32)
    for j, (ts, vals) in enumerate(series):
        values[np.searchsorted(union, ts), j] = vals
    return RawTable(union, values, variables)


def _header(file: CsvFile) -> list[str]:
    """The header's column names, stripped; checks they are present, named and unique."""
    try:
        with file.open() as f:
            line = f.readline(1 << 20)
    except _BROKEN_ARCHIVE as exc:
        raise MvadError("InvalidFileFormat", f"{file.name} cannot be read from the archive: {exc}.") from exc
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MvadError("VariableParseError", f"{file.name} is not UTF-8 text.") from exc
    if not text.strip():
        raise MvadError("NotEnoughInput", f"{file.name} is empty.")
    header = [c.strip() for c in next(csv.reader([text]))]
    for i, name in enumerate(header):
        if not name:
            raise MvadError("FileColumnsNotExist", f"{file.name}: column {i + 1} of the header has no name.")
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise MvadError("DuplicatedVariables", f"{file.name}: column(s) {', '.join(dupes)} appear more than once.")
    return header


def _read_csv(file: CsvFile, header: list[str], value_columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Parse timestamps (int64 ns UTC) and value columns (float32, NaN for empty cells), in file order."""
    # index_col=False: a row longer than the header is an error, never a silent index column
    options = dict(header=0, names=header, index_col=False, encoding="utf-8-sig", keep_default_na=False,
                   na_values=[""], skip_blank_lines=True)
    dtypes = {TIMESTAMP: str, **{c: np.float32 for c in value_columns}}
    try:
        with file.open() as f, warnings.catch_warnings(), np.errstate(over="ignore"):  # overflow: caught below
            warnings.simplefilter("error", pd.errors.ParserWarning)  # pandas only warns about extra fields
            frame = pd.read_csv(f, dtype=dtypes, **options)
    except UnicodeDecodeError as exc:
        raise MvadError("VariableParseError", f"{file.name} is not UTF-8 text.") from exc
    except _BROKEN_ARCHIVE as exc:  # a member whose data does not match its directory entry (size, CRC)
        raise MvadError("InvalidFileFormat", f"{file.name} cannot be read from the archive: {exc}.") from exc
    except pd.errors.ParserWarning as exc:
        raise MvadError("VariableParseError", f"{file.name}: a row has more fields than the header.") from exc
    except pd.errors.ParserError as exc:
        raise MvadError("VariableParseError", f"{file.name}: {str(exc).strip()}") from exc
    except ValueError as exc:  # a cell that is not a number (the parser does not say where): find it
        _raise_bad_cell(file, header, value_columns, options)
        raise MvadError("VariableParseError", f"{file.name}: {exc}") from exc
    if frame.empty:
        raise MvadError("NotEnoughInput", f"{file.name} has a header but no data rows.")
    timestamps = parse_timestamps(frame[TIMESTAMP], file.name)
    values = frame[value_columns].to_numpy(dtype=np.float32, copy=True)  # ours to fill in place
    infinite = np.isinf(values)
    if infinite.any():
        row, col = np.argwhere(infinite)[0]
        raise MvadError("VariableParseError", f"{file.name}, column '{value_columns[col]}', data row {row + 1}: "
                                              "the value is not a finite float32 number.")
    return timestamps, values


def _raise_bad_cell(file: CsvFile, header, value_columns, options) -> None:
    """Re-read as text, chunk by chunk, and raise naming the first cell that is neither empty nor a number."""
    with file.open() as f:
        reader = pd.read_csv(f, dtype=str, chunksize=_CHECK_CHUNK_ROWS, **options)
        for chunk in reader:
            for column in value_columns:
                cells = chunk[column]
                numbers = pd.to_numeric(cells, errors="coerce")
                bad = (numbers.isna() & cells.notna()).to_numpy()
                if bad.any():
                    i = int(np.argmax(bad))
                    raise MvadError("VariableParseError", f"{file.name}, column '{column}', data row "
                                                          f"{chunk.index[i] + 1}: '{cells.iloc[i]}' is not a number.")


def parse_timestamps(cells: pd.Series, where: str) -> np.ndarray:
    """ISO 8601 strings to int64 ns UTC; raises naming the first cell that does not parse."""
    parsed = pd.to_datetime(cells, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise MvadError("InvalidTimestampFormat", f"{where}, data row {i + 1}: timestamp '{cells.iloc[i]}' is not "
                                                  "an ISO 8601 timestamp.")
    return pd.DatetimeIndex(parsed).as_unit("ns").asi8


def sorted_order(timestamps: np.ndarray, where: str) -> np.ndarray | None:
    """The order that sorts the rows (None when already sorted); raises on a repeated timestamp."""
    order = None
    if len(timestamps) > 1 and not (np.diff(timestamps) > 0).all():
        order = np.argsort(timestamps, kind="stable")
        ordered = timestamps[order]
        same = np.flatnonzero(ordered[1:] == ordered[:-1])
        if len(same):
            first, second = sorted((order[same[0]], order[same[0] + 1]))
            ts = pd.Timestamp(ordered[same[0]], tz="UTC").isoformat()
            raise MvadError("VariableParseError", f"{where}: timestamp {ts} appears twice (data rows {first + 1} "
                                                  f"and {second + 1}).")
    return order
