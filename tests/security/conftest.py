"""Security fixtures: the app's settings pointed at Azurite with an isolated prefix, a direct-call client (the API
tests' ``api_fixtures``), a READY model record written through the storage layer, and a storage census."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))  # api_fixtures: the direct-call client

from api_fixtures import app, app_environment, data_url, one_torch_thread  # noqa: E402,F401

from service.records import READY, ModelRecord, now  # noqa: E402
from service.storage import MODELS, get_storage  # noqa: E402
from storage_census import census  # noqa: E402


@pytest.fixture(scope="module")
def app_env(azurite):
    """Module-wide settings (read by the functions through get_settings) and the URL of a small CSV to train on."""
    with app_environment(azurite, "s", MVAD_TRAIN_EPOCHS="2", MVAD_EPOCHS_PER_CHUNK="2") as env:
        yield env


@pytest.fixture(scope="module")
def ready_model_id(app_env) -> str:
    """A READY model's record (no model file): enough for every check made before detection reads the model."""
    settings, data_url = app_env
    created, stamp = now()
    record = ModelRecord(model_id=str(uuid.uuid4()), model_info={"dataSource": data_url, "slidingWindow": 28},
                         created_time=created, last_updated_time=created, updated_at=stamp, status=READY)
    get_storage(settings).create_row(MODELS, record.to_entity())
    return record.model_id


@pytest.fixture
def storage_census(app_env):
    return lambda: census(app_env[0])
