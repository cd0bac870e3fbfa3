"""Storage (Azurite) killed for a few seconds in the middle of a training, then started again on the same data:
the failed steps are retried, the model reaches READY, and no record is lost or duplicated."""
from __future__ import annotations

import os
import re
import time

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from local_stack import chunk_done
from own_azurite import OwnAzurite

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OUTAGE_SECONDS = float(os.environ.get("MVAD_REL_OUTAGE_SECONDS", "4"))  # longer: Durable retries too


@pytest.fixture
def own_azurite(tmp_path):
    azurite = OwnAzurite(tmp_path / "azurite")
    azurite.start()
    yield azurite
    azurite.kill()


def test_training_survives_a_storage_outage(make_host, own_azurite, samples):
    container = BlobServiceClient.from_connection_string(own_azurite.connection_string).create_container("data")
    blob = container.get_blob_client("sample.csv")
    blob.upload_blob((samples / "sample_data_5_3000.csv").read_bytes())
    host = make_host(own_azurite.connection_string, MVAD_TRAIN_EPOCHS=40, MVAD_EPOCHS_PER_CHUNK=10)
    host.start()
    model_id = host.train(blob.url).json()["modelId"]
    host.wait_log(chunk_done(10), timeout=180)

    own_azurite.kill()
    chunks_at_kill = _chunks(host.log(1))
    time.sleep(OUTAGE_SECONDS)
    chunks_at_restart = _chunks(host.log(1))
    own_azurite.start()

    model = host.wait_model(model_id, timeout=240)
    instance = host.wait_instance(model_id, timeout=60)
    host.stop()
    assert model["modelInfo"]["status"] == "READY", model["modelInfo"]["errors"]
    assert model["modelInfo"]["diagnosticsInfo"]["modelState"]["epochIds"] == [10, 20, 30, 40]
    assert instance["runtimeStatus"] == "Completed"
    tables = TableServiceClient.from_connection_string(own_azurite.connection_string)
    prefix = host.env["MVAD_CONTAINER_PREFIX"]
    models = [t.name for t in tables.list_tables() if t.name.lower().startswith(prefix) and "model" in t.name.lower()]
    assert len(models) == 1, models
    rows = list(tables.get_table_client(models[0]).list_entities())
    assert [row["RowKey"] for row in rows] == [model_id]
    # The outage stalled the training, wherever it landed (a chunk's checkpoint write, or the orchestration's own
    # history): a chunk ends by writing its checkpoint, so at most the one in flight at the kill could end without
    # storage, and the training, 3 chunks of under a second from the kill, was not over when storage came back.
    assert len(chunks_at_kill) >= 1 and len(chunks_at_restart) <= len(chunks_at_kill) + 1, (chunks_at_kill,
                                                                                         chunks_at_restart)
    assert len(chunks_at_restart) < 4, chunks_at_restart
    assert len(_chunks(host.log(1))) == 4


def _chunks(log: str) -> list[float]:
    """How long each finished training chunk took, in order."""
    return [float(t) for t in re.findall(r'activity train_chunk\(.*?\) took ([0-9.]+) s', log)]
