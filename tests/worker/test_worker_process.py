"""The worker for real, as the job execution runs it: `python -m worker.main` processes against Azurite train a
tiny model (120 rows x 3 variables, window 28, 2 epochs) and detect with it, reading and writing the same records
as the Function App's local backend."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from worker_fixtures import EPOCHS, create_model, upload_data

from service import jobs, models, results
from service.storage import MODELS, RESULTS, get_storage, job_outcome_blob

ROOT = Path(__file__).resolve().parents[2]


def _worker(env: dict, *args: str, job: dict | None = None) -> subprocess.CompletedProcess:
    """Run the worker as a process: the job from `args` (command line) or `job` (environment variables)."""
    process_env = {**os.environ, **env, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **(job or {})}
    return subprocess.run([sys.executable, "-m", "worker.main", *args], cwd=ROOT, env=process_env,
                          capture_output=True, text=True, timeout=300)


def _outcome(settings, job_id: str) -> dict:
    return json.loads(get_storage(settings).get_blob(MODELS, job_outcome_blob(job_id)))


def _prepare(env: dict, settings) -> tuple[str, str]:
    """(data URL, model id) of a model whose training data a worker process prepared (job given by environment)."""
    data_url = upload_data(settings)
    model_id = create_model(settings, data_url)
    prepared = _worker(env, job={"MVAD_JOB_NAME": "prepare_training", "MVAD_JOB_ID": "prepare-1",
                                 "MVAD_JOB_PAYLOAD": json.dumps({"model_id": model_id})})
    assert prepared.returncode == 0, prepared.stderr
    return data_url, model_id


def test_a_worker_process_prepares_the_training_data(env, settings):
    _, model_id = _prepare(env, settings)
    assert _outcome(settings, "prepare-1") == {"jobName": "prepare_training",
                                               "result": {"epochs": EPOCHS, "epochsPerChunk": 10}}
    record = models.get_model(model_id, settings)
    assert record.status == "RUNNING" and [s["variable"] for s in record.variable_states] == ["a", "b", "c"]
    assert get_storage(settings).blob_exists(MODELS, f"{model_id}/frame.npz")


@pytest.mark.slow
def test_worker_processes_train_and_detect(env, settings):
    storage = get_storage(settings)
    data_url, model_id = _prepare(env, settings)

    trained = _worker(env, "train_chunk", "--payload", json.dumps({"model_id": model_id, "until_epoch": EPOCHS}),
                      "--job-id", "train-1")
    assert trained.returncode == 0, trained.stderr
    assert _outcome(settings, "train-1")["result"] == {"epochsDone": EPOCHS}
    assert storage.blob_exists(MODELS, f"{model_id}/model.zip")  # all epochs ran: the fitted model is saved

    assert jobs.finalize_training(model_id, settings) == {"status": "READY"}
    body = {"dataSource": data_url, "startTime": "2021-01-01T01:00:00Z", "endTime": "2021-01-01T01:09:00Z",
            "topContributorCount": 2}
    result_id = results.create_result(model_id, body, settings).result_id
    detected = _worker(env, job={"MVAD_JOB_NAME": "run_batch_detection", "MVAD_JOB_ID": "detect-1",
                                 "MVAD_JOB_PAYLOAD": json.dumps({"result_id": result_id})})
    assert detected.returncode == 0, detected.stderr
    assert _outcome(settings, "detect-1")["result"] == {"status": "READY", "results": 10}
    answer = results.get_result(result_id, settings)
    assert answer["summary"]["status"] == "READY"
    stamps = [r["timestamp"] for r in answer["results"]]
    assert stamps[0] == "2021-01-01T01:00:00Z" and stamps[-1] == "2021-01-01T01:09:00Z"
    assert all(r["errors"] == [] and "severity" in r["value"] for r in answer["results"])
    assert storage.blob_exists(RESULTS, f"{result_id}.json")


def test_the_process_exit_status_tells_an_invalid_request(env):
    process = _worker(env, "delete_everything")
    assert process.returncode == 2 and "unknown job 'delete_everything'" in process.stderr
