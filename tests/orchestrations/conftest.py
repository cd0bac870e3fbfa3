"""Fixtures shared by the orchestration tests."""
import azure.durable_functions as df
import pytest

from orchestrations import detection, training


@pytest.fixture
def fast_retries(monkeypatch):
    """Activity retries after 10 ms rather than the production back-off, so retried failures take no time."""
    fast = df.RetryOptions(first_retry_interval_in_milliseconds=10, max_number_of_attempts=3)
    monkeypatch.setattr(training, "RETRY", fast)
    monkeypatch.setattr(detection, "RETRY", fast)
