"""A short schemathesis run (the long one is ``python -m bench.fuzz``): requests generated from the official REST
description, positive and negative, against the local host in a subprocess; no 5xx, every answer conforms."""
from __future__ import annotations

import pytest

from bench.fuzz import fuzz
from bench.fuzz_stack import local_stack

REQUESTS = 210
pytestmark = pytest.mark.e2e  # starts the local host in a subprocess


@pytest.fixture(scope="module")
def stack(azurite, tmp_path_factory):
    with local_stack(log_file=tmp_path_factory.mktemp("fuzz") / "host.log") as running:
        yield running


def test_fuzzing_finds_no_server_error_and_no_nonconformance(stack):
    report = fuzz(stack.base_url, stack.key, REQUESTS, seconds=50, model_id=stack.model_id,
                  result_id=stack.result_id, seed=7)
    summary = report.as_dict()
    assert report.requests == REQUESTS, summary
    assert report.server_errors == 0 and report.failures == [], summary
    assert len(report.by_operation) == 7  # every operation of the official description
    assert {"positive", "negative"} == set(report.by_mode)
    assert {"200", "400", "401", "404"} <= set(report.by_status), summary  # reached past auth and validation
    assert report.by_status["401"] == report.without_key  # refused exactly those sent without a valid key
