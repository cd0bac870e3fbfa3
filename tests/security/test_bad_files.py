"""Bad customer data files through the service's jobs, against Azurite: each one FAILS its model or result with the
service's code and a message naming what is at fault, nothing else escapes, and nothing is left half-stored.

The steps are the orchestrations' own: ``prepare_training`` raising ``MvadError`` → ``fail_model(code, message)``;
``run_batch_detection`` raising ``MvadError`` → ``fail_result(code, message)``.
"""
from __future__ import annotations

import random
import struct
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "service"))  # service_fixtures: tiny data, settings

from archives import zip_bytes  # noqa: E402
from service_fixtures import DATA_CONTAINER, make_settings, tiny_frame_csv, train_body  # noqa: E402

from mvad_engine import MvadError, limits  # noqa: E402
from service import jobs, models, results  # noqa: E402
from service.storage import MODELS, RESULTS, get_storage  # noqa: E402

ROW0, ROW1 = "2021-01-01T00:00:00Z", "2021-01-01T00:01:00Z"
GOOD = f"timestamp,a,b\n{ROW0},1,2\n{ROW1},3,4\n"
MEMBER = f"timestamp,value\n{ROW0},1\n{ROW1},2\n"


def declared_size_bomb() -> bytes:
    """A tiny zip whose only member claims to expand to almost 4 GiB (central directory and local header)."""
    data = bytearray(zip_bytes({"a.csv": MEMBER}))
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 0xFFFF0000)
    struct.pack_into("<I", data, 22, 0xFFFF0000)
    return bytes(data)


def ratio_bomb() -> bytes:
    """4 MiB of one digit: about 1000 times compressed, over the per-member ratio cap."""
    return zip_bytes({"a.csv": b"0" * (4 * 2**20)})


def too_many_variables() -> bytes:
    columns = ",".join(f"v{i}" for i in range(limits.MAX_VARIABLES + 1))
    cells = ",".join("1" for _ in range(limits.MAX_VARIABLES + 1))
    return f"timestamp,{columns}\n{ROW0},{cells}\n".encode()


def too_many_members() -> bytes:
    return zip_bytes({f"m{i}.csv": MEMBER for i in range(limits.MAX_ARCHIVE_ENTRIES + 1)}, zipfile.ZIP_STORED)


# (case id, schema, blob name, data, expected code, substrings the message must hold)
TRAINING_CASES = [
    ("empty file", "OneTable", "empty.csv", b"", "NotEnoughInput", ["empty.csv"]),
    ("header only", "OneTable", "header.csv", b"timestamp,a,b\n", "NotEnoughInput", ["header.csv", "no data rows"]),
    ("non-numeric cell", "OneTable", "text.csv", (GOOD + "2021-01-01T00:02:00Z,x1,2\n").encode(),
     "VariableParseError", ["text.csv", "column 'a'", "data row 3"]),
    ("literal NaN", "OneTable", "nan.csv", (GOOD + "2021-01-01T00:02:00Z,1,NaN\n").encode(),
     "VariableParseError", ["nan.csv", "column 'b'", "data row 3"]),
    ("literal Inf", "OneTable", "inf.csv", (GOOD + "2021-01-01T00:02:00Z,Inf,2\n").encode(),
     "VariableParseError", ["inf.csv", "column 'a'", "data row 3"]),
    ("duplicate timestamps", "OneTable", "dup.csv", (GOOD + f"{ROW0},5,6\n").encode(),
     "VariableParseError", ["dup.csv", "data rows 1 and 3"]),
    ("no timestamp column", "OneTable", "notime.csv", f"time,a\n{ROW0},1\n".encode(),
     "FileColumnsNotExist", ["notime.csv", "'timestamp'"]),
    ("member without timestamp column", "MultiTable", "notime.zip",
     zip_bytes({"a.csv": MEMBER, "b.csv": f"time,value\n{ROW0},1\n"}), "FileColumnsNotExist", ["b.csv", "timestamp"]),
    ("more than 301 variables", "OneTable", "wide.csv", too_many_variables(), "TooManyData", ["wide.csv", "302"]),
    ("nested duplicate names", "MultiTable", "nested.zip",
     zip_bytes({"a.csv": MEMBER, "x/a.csv": MEMBER, "x/y/b.csv": MEMBER}), "DuplicatedVariables",
     ["'a'", "x/a.csv"]),
    ("zip bomb by ratio", "MultiTable", "ratio.zip", ratio_bomb(), "InvalidFileSize", ["ratio.zip", "a.csv"]),
    ("zip bomb by declared size", "MultiTable", "declared.zip", declared_size_bomb(), "InvalidFileSize",
     ["declared.zip", "a.csv"]),
    ("member named with ..", "MultiTable", "dotdot.zip", zip_bytes({"a.csv": MEMBER, "../evil.csv": MEMBER}),
     "InvalidFileFormat", ["dotdot.zip", "../evil.csv"]),
    ("member with absolute path", "MultiTable", "absolute.zip", zip_bytes({"/abs.csv": MEMBER}),
     "InvalidFileFormat", ["absolute.zip", "/abs.csv"]),
    ("too many members", "MultiTable", "many.zip", too_many_members(), "TooManyData",
     ["many.zip", str(limits.MAX_ARCHIVE_ENTRIES + 1)]),
]


@pytest.fixture(scope="module")
def env(azurite):
    """(settings, storage, upload(name, data) → blob URL) with an isolated prefix; 2 epochs to train fast."""
    settings = make_settings(azurite, train_epochs=2, epochs_per_chunk=2)
    storage = get_storage(settings)
    container = settings.container_prefix + DATA_CONTAINER
    storage.blob_service.get_container_client(container).create_container()

    def upload(name: str, data: bytes) -> str:
        storage.blob_service.get_blob_client(container, name).upload_blob(data, overwrite=True)
        return f"{storage.own_blob_endpoint}/{container}/{name}"

    return settings, storage, upload


def model_blobs(storage, model_id: str) -> list[str]:
    return [b.name for b in storage.container(MODELS).list_blobs(name_starts_with=model_id + "/")]


@pytest.mark.parametrize("schema, name, data, code, named",
                         [case[1:] for case in TRAINING_CASES], ids=[case[0] for case in TRAINING_CASES])
def test_bad_training_file_fails_the_model_and_stores_nothing(env, schema, name, data, code, named):
    settings, storage, upload = env
    url = upload(name, data)
    model_id = models.create_model(train_body(url, dataSchema=schema), settings).model_id
    with pytest.raises(MvadError) as err:  # anything else escaping fails the test
        jobs.prepare_training(model_id, settings)
    error = err.value
    assert model_blobs(storage, model_id) == []  # refused before any frame was written
    assert models.get_model(model_id, settings).status == "CREATED"
    assert jobs.fail_model(model_id, error.code, error.message, settings) == {"status": "FAILED"}
    record = models.get_model(model_id, settings)
    assert record.status == "FAILED"
    assert record.errors == [{"code": code, "message": error.message}]
    for part in named:
        assert part in error.message
    assert "mvad-data-" not in error.message  # the user's blob is named, not our temporary copy
    assert model_blobs(storage, model_id) == []
    # the orchestration retries nothing for a FAILED model: a second prepare leaves it as it is
    assert jobs.prepare_training(model_id, settings)["status"] == "FAILED"
    assert model_blobs(storage, model_id) == []


# ------------------------------------------------------------------ inference files against a trained model

DETECT_START, DETECT_END = "2021-01-01T00:20:00Z", "2021-01-01T00:39:00Z"


def csv_lines(data: bytes) -> tuple[str, list[str]]:
    header, *rows = data.decode().strip().split("\n")
    return header, rows


def with_columns(keep: list[int], extra: bool = False) -> bytes:
    header, rows = csv_lines(tiny_frame_csv())
    pick = lambda line: [line.split(",")[i] for i in keep]
    lines = [",".join(pick(header) + (["series_3"] if extra else []))]
    lines += [",".join(pick(row) + (["0.5"] if extra else [])) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def mixed_time_zones() -> bytes:
    """Every other row written in +05:30 and every third in -08:00: the same instants as the clean file."""
    import pandas as pd

    header, rows = csv_lines(tiny_frame_csv())
    out = [header]
    for i, row in enumerate(rows):
        stamp, rest = row.split(",", 1)
        utc = pd.Timestamp(stamp)
        if i % 2:
            stamp = utc.tz_convert("+05:30").isoformat()
        elif i % 3 == 0:
            stamp = utc.tz_convert("-08:00").isoformat()
        out.append(f"{stamp},{rest}")
    return ("\n".join(out) + "\n").encode()


def unsorted_rows() -> bytes:
    header, rows = csv_lines(tiny_frame_csv())
    random.Random(7).shuffle(rows)
    return ("\n".join([header, *rows]) + "\n").encode()


def over_detect_limit() -> bytes:
    return tiny_frame_csv(rows=limits.MAX_DETECT_TIMESTAMPS + 60)


@pytest.fixture(scope="module")
def trained(env):
    """(model id, results of the clean file over [DETECT_START, DETECT_END]) after the training jobs ran."""
    settings, storage, upload = env
    model_id = models.create_model(train_body(upload("tiny.csv", tiny_frame_csv())), settings).model_id
    plan = jobs.prepare_training(model_id, settings)
    jobs.train_chunk(model_id, plan["epochs"], settings)
    assert jobs.finalize_training(model_id, settings) == {"status": "READY"}
    clean = detect(env, model_id, "tiny.csv", tiny_frame_csv(), DETECT_START, DETECT_END)
    return model_id, clean


def detect(env, model_id: str, name: str, data: bytes, start: str, end: str) -> dict:
    """Run batch detection on a blob as the orchestration does; the stored answer (FAILED on a data error)."""
    settings, storage, upload = env
    url = upload(name, data)
    result_id = results.create_result(model_id, {"dataSource": url, "startTime": start, "endTime": end,
                                                 "topContributorCount": 2}, settings).result_id
    try:
        assert jobs.run_batch_detection(result_id, settings)["status"] == "READY"
    except MvadError as error:
        assert not storage.blob_exists(RESULTS, f"{result_id}.json")
        assert jobs.fail_result(result_id, error.code, error.message, settings) == {"status": "FAILED"}
    answer = results.get_result(result_id, settings)
    answer["stored"] = storage.blob_exists(RESULTS, f"{result_id}.json")
    return answer


@pytest.mark.parametrize("name, data, end, code, named", [
    ("missing.csv", with_columns([0, 1, 2]), DETECT_END, "InvalidVariables", ["missing", "series_2"]),
    ("extra.csv", with_columns([0, 1, 2, 3], extra=True), DETECT_END, "InvalidVariables", ["series_3"]),
    ("long.csv", over_detect_limit(), "2021-01-14T23:59:00Z", "DataExceedsLimit",
     [str(limits.MAX_DETECT_TIMESTAMPS)]),
], ids=["variable missing", "extra variable", "over 20000 timestamps"])
def test_bad_inference_file_fails_the_result(env, trained, name, data, end, code, named):
    model_id, _ = trained
    answer = detect(env, model_id, name, data, DETECT_START, end)
    summary = answer["summary"]
    assert summary["status"] == "FAILED" and answer["stored"] is False
    assert [e["code"] for e in summary["errors"]] == [code]
    for part in named:
        assert part in summary["errors"][0]["message"]
    assert answer.get("results", []) == []


@pytest.mark.parametrize("name, data", [("zones.csv", mixed_time_zones()), ("shuffled.csv", unsorted_rows())],
                         ids=["mixed time zones", "unsorted timestamps"])
def test_accepted_inference_file_is_read_as_utc_in_order(env, trained, name, data):
    model_id, clean = trained
    answer = detect(env, model_id, name, data, DETECT_START, DETECT_END)
    assert answer["summary"]["status"] == "READY" and answer["summary"]["errors"] == [] and answer["stored"]
    stamps = [r["timestamp"] for r in answer["results"]]
    assert stamps == sorted(stamps) and len(stamps) == 20
    assert stamps[0] == DETECT_START and stamps[-1] == DETECT_END
    assert answer["results"] == clean["results"]  # the same instants and values as the clean UTC file
