"""API fixtures: the app's settings pointed at Azurite with an isolated prefix, and a direct-call client."""
from __future__ import annotations

import pytest
from api_fixtures import (ApiClient, app, app_environment, body_json, data_url, one_torch_thread,  # noqa: F401
                          run_training, train_body)


@pytest.fixture(scope="module")
def app_env(azurite):
    """Module-wide settings (read by the functions through get_settings) and a data blob to train on."""
    with app_environment(azurite, "a", MVAD_TRAIN_EPOCHS="10", MVAD_EPOCHS_PER_CHUNK="5") as env:
        yield env


@pytest.fixture(scope="module")
def ready_model_id(app_env) -> str:
    response = ApiClient().call("POST", "multivariate/models", train_body(app_env[1]))
    model_id = body_json(response)["modelId"]
    run_training(model_id)
    return model_id
