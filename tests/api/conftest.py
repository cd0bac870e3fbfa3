"""API fixtures: the app's settings pointed at Azurite with an isolated prefix, and a direct-call client."""
from __future__ import annotations

import uuid

import pytest
from api_fixtures import KEY, KEY2, ApiClient, body_json, run_training, tiny_csv, train_body

from service.settings import get_settings
from service.storage import get_storage


def _env(azurite: str, **extra) -> dict:
    return {"MVAD_STORAGE_CONNECTION_STRING": azurite, "MVAD_CONTAINER_PREFIX": "a" + uuid.uuid4().hex[:12],
            "MVAD_API_KEY": KEY, "MVAD_API_KEY_SECONDARY": KEY2, "MVAD_TRAIN_EPOCHS": "10",
            "MVAD_EPOCHS_PER_CHUNK": "5", **extra}


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def app_env(azurite):
    """Module-wide settings (read by the functions through get_settings) and a data blob to train on."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in _env(azurite).items():
            mp.setenv(name, value)
        get_settings.cache_clear()
        settings = get_settings()
        storage = get_storage(settings)
        container = settings.container_prefix + "data"
        storage.blob_service.get_container_client(container).create_container()
        storage.blob_service.get_blob_client(container, "tiny.csv").upload_blob(tiny_csv())
        yield settings, f"{storage.own_blob_endpoint}/{container}/tiny.csv"
    get_settings.cache_clear()


@pytest.fixture
def app(app_env) -> ApiClient:
    return ApiClient()


@pytest.fixture
def data_url(app_env) -> str:
    return app_env[1]


@pytest.fixture(scope="module")
def ready_model_id(app_env) -> str:
    response = ApiClient().call("POST", "multivariate/models", train_body(app_env[1]))
    model_id = body_json(response)["modelId"]
    run_training(model_id)
    return model_id
