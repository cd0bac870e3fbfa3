"""A host killed (SIGKILL) in the middle of a training chunk: the local host runs activities in its own process, so
killing "the process running the chunk" means killing the host. Started again, it replays the orchestration to that
chunk, which resumes from the last checkpoint; the model reaches READY with every progress entry exactly once."""
from __future__ import annotations

import time

import pytest
from local_stack import chunk_done

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EPOCHS, CHUNK = 40, 20  # modelState lists every 10th epoch: 10, 20, 30, 40


def test_training_survives_sigkill_mid_chunk(make_host, blobs):
    host = make_host(MVAD_TRAIN_EPOCHS=EPOCHS, MVAD_EPOCHS_PER_CHUNK=CHUNK)
    host.start()
    answer = host.train(blobs["OneTable"])
    assert answer.status_code == 201, answer.text
    model_id = answer.json()["modelId"]
    host.wait_log(chunk_done(CHUNK), timeout=180)  # chunk 1 checkpointed, chunk 2 running
    time.sleep(0.5)  # some epochs into the second chunk
    host.kill()
    assert host.process.returncode == -9

    host.start()
    model = host.wait_model(model_id, timeout=300)
    host.stop()
    info = model["modelInfo"]
    assert info["status"] == "READY", info["errors"]
    assert info["diagnosticsInfo"]["modelState"]["epochIds"] == list(range(10, EPOCHS + 1, 10))
    assert f"resuming train_model_orchestrator {model_id}" in host.log(2)
    first_log = host.log(1)
    assert chunk_done(2 * CHUNK) not in first_log, "the kill came after the second chunk"
    second_log = host.log(2)
    assert "prepare_training" not in second_log and chunk_done(CHUNK) not in second_log
