"""The running-trainings limit holds under concurrent train requests (count and create do not interleave), and its
code is answered as 429."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from local_stack import train_body

from api.errors import status_for
from mvad_engine.errors import MvadError
from service import models
from service.records import READY
from service.settings import Settings
from service.storage import MODEL_PARTITION, MODELS, get_storage


def test_concurrent_creates_stop_at_the_running_limit(azurite, unique_name, blobs):
    settings = Settings(storage_connection_string=azurite, container_prefix=unique_name, max_running_trainings=3)

    def create(_):
        try:
            return models.create_model(train_body(blobs["OneTable"]), settings).model_id
        except MvadError as error:
            return error.code

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(create, range(8)))
    created = [o for o in outcomes if o != "TooManyRunningModels"]
    assert len(created) == 3 and outcomes.count("TooManyRunningModels") == 5
    storage = get_storage(settings)
    assert sorted(r["RowKey"] for r in storage.list_rows(MODELS, MODEL_PARTITION)) == sorted(created)

    # A finished training frees its place.
    storage.update_row(MODELS, MODEL_PARTITION, created[0], lambda e: {**e, "status": READY})
    assert models.create_model(train_body(blobs["OneTable"]), settings).status == "CREATED"
    assert create(None) == "TooManyRunningModels"
    assert status_for("TooManyRunningModels") == 429


def test_the_limit_is_a_setting_with_a_default():
    assert Settings.from_env({}).max_running_trainings == 4
    assert Settings.from_env({"MVAD_MAX_RUNNING_TRAININGS": "7"}).max_running_trainings == 7
    assert Settings.from_env({}).job_timeout_minutes == 360
    assert Settings.from_env({"MVAD_JOB_TIMEOUT_MINUTES": "0.5"}).job_timeout_minutes == 0.5
