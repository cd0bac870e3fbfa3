"""The command line: train a model file, detect with it, and report errors as `error: (Code) message`, status 2."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mvad_engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
TRAIN_END = "2021-01-01T04:59:00Z"  # 300 rows keep the default test quick


def run_module(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "mvad_engine", *args], capture_output=True, text=True, env=env,
                          timeout=900)


def check_result(path: Path, first: str, last: str, count: int) -> dict:
    result = json.loads(path.read_text())
    assert list(result) == ["variableStates", "results"]
    assert [s["variable"] for s in result["variableStates"]] == [f"series_{i}" for i in range(5)]
    assert {s["firstTimestamp"] for s in result["variableStates"]} == {first}
    assert {s["lastTimestamp"] for s in result["variableStates"]} == {last}
    items = result["results"]
    assert len(items) == count and items[0]["timestamp"] == first and items[-1]["timestamp"] == last
    for item in items:
        assert item["errors"] == []
        assert set(item["value"]) >= {"isAnomaly", "severity", "score"}
    return result


def test_train_then_detect(samples, tmp_path, capsys):
    model = tmp_path / "model.zip"
    status = main(["train", "--data", str(samples / "sample_data_5_3000.csv"), "--schema", "OneTable",
                   "--sliding-window", "28", "--end", TRAIN_END, "--epochs", "2", "--out", str(model)])
    assert status == 0 and model.is_file()
    assert "2/2" in capsys.readouterr().err  # the epoch progress bar reached the end
    out = tmp_path / "result.json"
    # MultiTable data for a OneTable-trained model: same variables; rows before --start are history
    status = main(["detect", "--model", str(model), "--data", str(samples / "multivariate_sample_data_5_3000.zip"),
                   "--start", "2021-01-01T05:00:00Z", "--end", "2021-01-01T05:09:00Z", "--top-contributors", "3",
                   "--out", str(out)])
    assert status == 0
    result = check_result(out, "2021-01-01T05:00:00Z", "2021-01-01T05:09:00Z", 10)
    assert all(s["effectiveCount"] == 10 for s in result["variableStates"])
    for item in result["results"]:
        assert len(item["value"].get("interpretation", [])) <= 3

    # without --start the first rows lack a full window of history
    status = main(["detect", "--model", str(model), "--data", str(samples / "sample_data_5_3000.csv"),
                   "--end", "2021-01-01T00:29:00Z", "--out", str(out)])
    assert status == 0
    items = json.loads(out.read_text())["results"]
    assert len(items) == 30
    assert items[0]["errors"][0]["code"] == "InsufficientHistoricalData" and "value" not in items[0]
    assert items[-1]["errors"] == [] and "score" in items[-1]["value"]


@pytest.mark.parametrize("argv, code", [
    (["train", "--data", "{tmp}/missing.csv", "--schema", "OneTable", "--sliding-window", "28", "--out", "{tmp}/m.zip"],
     "FileNotExist"),
    (["train", "--data", "{bad}", "--schema", "OneTable", "--sliding-window", "28", "--out", "{tmp}/m.zip"],
     "VariableParseError"),
    (["train", "--data", "{samples}/sample_data_5_3000.csv", "--schema", "OneTable", "--sliding-window", "5",
      "--out", "{tmp}/m.zip"], "InvalidSlidingWindow"),
    (["train", "--data", "{samples}/sample_data_5_3000.csv", "--schema", "OneTable", "--sliding-window", "28",
      "--fill-na-method", "Fixed", "--out", "{tmp}/m.zip"], "RequiredPaddingValue"),
    (["train", "--data", "{samples}/sample_data_5_3000.csv", "--schema", "OneTable", "--sliding-window", "28",
      "--start", "2021-01-02T00:00:00Z", "--end", "2021-01-01T00:00:00Z", "--out", "{tmp}/m.zip"], "InvalidTimeRange"),
])
def test_errors_exit_2_with_the_code(samples, tmp_path, capsys, argv, code):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,a\n2021-01-01T00:00:00Z,high\n")
    argv = [a.format(tmp=tmp_path, bad=bad, samples=samples) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: ({code}) ")
    assert not (tmp_path / "m.zip").exists()


@pytest.mark.parametrize("argv", [
    [],
    ["train", "--data", "x.csv", "--schema", "OneTable", "--out", "m.zip"],  # no --sliding-window
    ["train", "--data", "x.csv", "--schema", "ThreeTables", "--sliding-window", "28", "--out", "m.zip"],
    ["detect", "--model", "m.zip", "--data", "x.csv"],  # no --out
    ["detect", "--model", "m.zip", "--data", "x.csv", "--top-contributors", "many", "--out", "r.json"],
])
def test_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code != 0
    assert "usage:" in capsys.readouterr().err


def test_module_entry_point_reports_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,a\n2021-01-01T00:00:00Z,1\n2021-01-01T00:00:00Z,2\n")
    done = run_module("train", "--data", str(bad), "--schema", "OneTable", "--sliding-window", "28",
                      "--out", str(tmp_path / "m.zip"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: (VariableParseError) bad.csv: timestamp")


@pytest.mark.slow
def test_full_sample_through_the_module(samples, tmp_path):
    """The whole sample, 2 epochs, as a user runs it: `python -m mvad_engine train` then `detect`."""
    model, out = tmp_path / "model.zip", tmp_path / "result.json"
    done = run_module("train", "--data", str(samples / "sample_data_5_3000.csv"), "--schema", "OneTable",
                      "--sliding-window", "28", "--epochs", "2", "--out", str(model))
    assert done.returncode == 0, done.stderr
    done = run_module("detect", "--model", str(model), "--data", str(samples / "sample_data_5_3000.csv"),
                      "--start", "2021-01-03T01:00:00Z", "--out", str(out))
    assert done.returncode == 0, done.stderr
    check_result(out, "2021-01-03T01:00:00Z", "2021-01-03T01:59:00Z", 60)
