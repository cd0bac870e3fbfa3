"""Service fixtures: isolated settings (own container/table prefix) against Azurite, and a tiny dataset in Blob."""
from __future__ import annotations

import pytest
from service_fixtures import DATA_CONTAINER, make_settings, tiny_frame_csv

from service.settings import Settings
from service.storage import get_storage


@pytest.fixture
def settings(azurite) -> Settings:
    return make_settings(azurite)


@pytest.fixture
def data_url(settings) -> str:
    """URL of the tiny CSV in a user container of the app's own (Azurite) account."""
    storage = get_storage(settings)
    container = settings.container_prefix + DATA_CONTAINER
    storage.blob_service.get_container_client(container).create_container()
    storage.blob_service.get_blob_client(container, "tiny.csv").upload_blob(tiny_frame_csv())
    return f"{storage.own_blob_endpoint}/{container}/tiny.csv"


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """The engine trains in these tests; one thread is faster on a shared 2-core machine and kinder to it."""
    import torch

    torch.set_num_threads(1)
