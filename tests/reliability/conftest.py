"""The reliability tests reuse the end-to-end tests' isolation prefix and sample blobs (Azurite from scripts/test.sh)
and start their own local hosts, which they kill, stop and restart."""
from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

import pytest

from local_stack import LocalHost

_E2E = Path(__file__).resolve().parent.parent / "e2e"
sys.path.insert(0, str(_E2E))  # the e2e conftest imports its helpers by their module name
_spec = importlib.util.spec_from_file_location("e2e_fixtures", _E2E / "conftest.py")
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)
prefix, blobs = _e2e.prefix, _e2e.blobs  # the same fixtures, registered here too


@pytest.fixture
def make_host(azurite, tmp_path):
    """A factory of local hosts over their own container prefix; every host still running is stopped at the end."""
    hosts = []

    def make(connection: str | None = None, **env) -> LocalHost:
        settings = {"MVAD_CONTAINER_PREFIX": "rel" + uuid.uuid4().hex[:8],
                    "MVAD_STORAGE_CONNECTION_STRING": connection or azurite, **{k: str(v) for k, v in env.items()}}
        host = LocalHost(settings, tmp_path)
        hosts.append(host)
        return host

    yield make
    for host in hosts:
        if host.process is not None:
            host.stop()
