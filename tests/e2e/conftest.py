"""The local stack for the end-to-end tests: the local host in a subprocess (Azurite is started by scripts/test.sh),
isolated by a container/table prefix, training few epochs (`MVAD_E2E_EPOCHS`, default 3) to stay fast.

The port is a free one unless `MVAD_E2E_PORT` names it; `MVAD_E2E_LOG` keeps the host's log somewhere known.
"""
from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest
from azure.ai.anomalydetector import AnomalyDetectorClient
from azure.core.credentials import AzureKeyCredential
from azure.storage.blob import BlobServiceClient
from e2e_helpers import API_KEY, EPOCHS, train_body, wait_for_model

from devhost import stack

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def prefix() -> str:
    return "e2e" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def endpoint(azurite, prefix, tmp_path_factory) -> str:
    port = int(os.environ.get("MVAD_E2E_PORT") or _free_port())
    log = Path(os.environ.get("MVAD_E2E_LOG") or tmp_path_factory.mktemp("host") / "host.log")
    env = {"MVAD_API_KEY": API_KEY, "MVAD_TRAIN_EPOCHS": str(EPOCHS), "MVAD_EPOCHS_PER_CHUNK": "2",
           "MVAD_CONTAINER_PREFIX": prefix, "MVAD_STORAGE_CONNECTION_STRING": azurite,
           "MVAD_DEVHOST_MAX_TRAININGS": "2"}
    try:
        host = stack.start_host(port, env=env, log_file=log, timeout=120)
    except Exception:
        pytest.fail(f"the local host did not start; its log:\n{log.read_text()[-4000:] if log.exists() else ''}")
    if host is None:
        pytest.fail(f"port {port} already serves a host; the e2e tests need their own (set MVAD_E2E_PORT)")
    yield f"http://127.0.0.1:{port}"
    stack.stop(host)
    assert host.returncode == 0, f"the local host did not stop cleanly; log at {log}"


@pytest.fixture(scope="session")
def client(endpoint) -> AnomalyDetectorClient:
    return AnomalyDetectorClient(endpoint, AzureKeyCredential(API_KEY), retry_total=0)


@pytest.fixture(scope="session")
def blobs(azurite, prefix, samples) -> dict[str, str]:
    """The sample CSV and zip uploaded to Azurite; their blob URLs by schema."""
    service = BlobServiceClient.from_connection_string(azurite)
    container = service.create_container(f"{prefix}-data")
    urls = {}
    for schema, name in (("OneTable", "sample_data_5_3000.csv"), ("MultiTable", "multivariate_sample_data_5_3000.zip")):
        blob = container.get_blob_client(name)
        blob.upload_blob((samples / name).read_bytes())
        urls[schema] = blob.url
    return urls


@pytest.fixture(scope="session")
def broken_csv(azurite, prefix, blobs) -> str:
    """A CSV whose timestamps do not parse: training on it must fail with a data error."""
    blob = BlobServiceClient.from_connection_string(azurite).get_blob_client(f"{prefix}-data", "broken.csv")
    blob.upload_blob(b"timestamp,series_0\nyesterday,1.0\ntoday,2.0\n")
    return blob.url


@pytest.fixture(scope="session")
def trained_models(client, blobs) -> dict[str, str]:
    """One model per schema, trained in parallel through the SDK: {schema: model id} (their status is checked by
    the tests)."""
    ids = {schema: client.train_multivariate_model(train_body(url, schema, f"e2e-{schema}")).model_id
           for schema, url in blobs.items()}
    for model_id in ids.values():
        wait_for_model(client, model_id)
    return ids
