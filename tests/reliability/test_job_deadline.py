"""A training that outlives `MVAD_JOB_TIMEOUT_MINUTES` while its host keeps running fails at the next chunk with
`OperationTimeout` (the deadline travels in the orchestration input; the orchestrator checks it between steps), and
the checkpoint it had reached stays the model's last progress."""
from __future__ import annotations

import pytest
from local_stack import chunk_done

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TIMEOUT_MINUTES = 0.1  # 6 s: the first chunk (data preparation, model set-up) ends around there, 200 epochs far later


def test_a_training_past_its_time_limit_fails_with_operation_timeout(make_host, blobs):
    host = make_host(MVAD_TRAIN_EPOCHS=200, MVAD_EPOCHS_PER_CHUNK=10, MVAD_JOB_TIMEOUT_MINUTES=TIMEOUT_MINUTES)
    host.start()
    answer = host.train(blobs["OneTable"])
    assert answer.status_code == 201, answer.text
    model_id = answer.json()["modelId"]

    model = host.wait_model(model_id, timeout=240)
    instance = host.wait_instance(model_id, timeout=60)
    host.stop()
    info = model["modelInfo"]
    assert info["status"] == "FAILED"
    assert [e["code"] for e in info["errors"]] == ["OperationTimeout"]
    assert "deadline" in info["errors"][0]["message"]
    epochs = info["diagnosticsInfo"]["modelState"]["epochIds"]
    assert epochs and epochs == list(range(10, epochs[-1] + 1, 10)) and epochs[-1] < 200, epochs
    log = host.log(1)
    assert chunk_done(10) in log and chunk_done(200) not in log
    assert "finalize_training" not in log
    assert instance["runtimeStatus"] == "Completed" and instance["output"]["status"] == "FAILED"
