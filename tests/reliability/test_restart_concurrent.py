"""A host stopped while a training and a batch detection are under way: started again, it finishes both; started
again with a job timeout they have outlived, it fails both with an error instead of leaving them RUNNING.

(`tests/e2e/test_restart.py` covers a lone training and its replayed history; here the two kinds run together.)
The detection is kept Pending in the first host (no slot for it: `MVAD_DEVHOST_MAX_ORCHESTRATIONS=0`) so that it is
certainly unfinished when the host stops, whatever the machine's speed."""
from __future__ import annotations

import pytest
from local_stack import chunk_done

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EPOCHS = {"MVAD_TRAIN_EPOCHS": 40, "MVAD_EPOCHS_PER_CHUNK": 10, "MVAD_DEVHOST_MAX_TRAININGS": 2}


def _stop_with_both_running(make_host, data_source: str):
    """(host, id of the training under way, id of the detection not finished) with the host stopped."""
    host = make_host(**EPOCHS)
    host.start()
    ready_id = host.train(data_source).json()["modelId"]
    assert host.wait_model(ready_id, timeout=180)["modelInfo"]["status"] == "READY"
    host.stop()

    host.start(MVAD_DEVHOST_MAX_ORCHESTRATIONS=0)
    training_id = host.train(data_source).json()["modelId"]
    result_id = host.detect_batch(ready_id, data_source)
    host.wait_log(chunk_done(10), timeout=180)
    host.stop()
    assert host.process.returncode == 0
    return host, training_id, result_id


def test_training_and_detection_finish_after_a_restart(make_host, blobs):
    host, training_id, result_id = _stop_with_both_running(make_host, blobs["OneTable"])
    host.start()
    assert host.model(training_id)["modelInfo"]["status"] == "RUNNING"
    result = host.wait_result(result_id, timeout=120)
    model = host.wait_model(training_id, timeout=240)
    host.stop()
    assert result["summary"]["status"] == "READY", result["summary"]["errors"]
    assert len(result["results"]) == 100  # 08:20 to 09:59, one row a minute
    assert model["modelInfo"]["status"] == "READY", model["modelInfo"]["errors"]
    assert model["modelInfo"]["diagnosticsInfo"]["modelState"]["epochIds"] == [10, 20, 30, 40]
    log = host.log(3)
    assert f"resuming train_model_orchestrator {training_id}" in log
    assert f"resuming detect_batch_orchestrator {result_id}" in log


def test_jobs_older_than_the_timeout_fail_instead_of_resuming(make_host, blobs):
    host, training_id, result_id = _stop_with_both_running(make_host, blobs["OneTable"])
    host.start(MVAD_JOB_TIMEOUT_MINUTES=0.001)  # 60 ms: both jobs are older
    model, result = host.model(training_id), host.result(result_id)
    instances = host.instance(training_id), host.instance(result_id)
    host.stop()
    for summary in (model["modelInfo"], result["summary"]):
        assert summary["status"] == "FAILED"
        assert [e["code"] for e in summary["errors"]] == ["OperationTimeout"]
        assert "0.001 minutes" in summary["errors"][0]["message"]
    assert [i["runtimeStatus"] for i in instances] == ["Failed", "Failed"]
    assert "resuming" not in host.log(3)
