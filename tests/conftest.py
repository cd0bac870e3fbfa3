"""Shared fixtures: paths to the shipped sample data and a connection to the Azurite started by scripts/test.sh."""
from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from service.settings import AZURITE_CONNECTION_STRING

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def azurite() -> str:
    """The Azurite connection string; fails (never skips) when Azurite is not up: run tests through `make test`."""
    for port in (10000, 10002):
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex(("127.0.0.1", port)) != 0:
                pytest.fail(f"Azurite is not listening on 127.0.0.1:{port}; run the tests with `make test`")
    return AZURITE_CONNECTION_STRING


@pytest.fixture
def unique_name() -> str:
    """A fresh lowercase name for containers/tables so tests never see each other's data."""
    return "t" + uuid.uuid4().hex[:20]
