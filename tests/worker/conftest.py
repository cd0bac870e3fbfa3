"""Worker fixtures: the job environment and its settings against Azurite (fresh prefix per test)."""
from __future__ import annotations

import pytest
from worker_fixtures import worker_env

from service.settings import Settings


@pytest.fixture
def env(azurite) -> dict[str, str]:
    return worker_env(azurite)


@pytest.fixture
def settings(env) -> Settings:
    return Settings.from_env(env)
