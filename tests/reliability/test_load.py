"""A small load on one local stack (bench/load.py with few requests): the limits answer with their codes, never a
5xx, and every accepted model ends READY with no record lost or added."""
from __future__ import annotations

import pytest

from bench.load import run_load

pytestmark = pytest.mark.e2e


def test_concurrent_trains_and_detect_last(make_host, blobs):
    host = make_host(MVAD_TRAIN_EPOCHS=2, MVAD_MAX_RUNNING_TRAININGS=2, MVAD_MAX_MODELS=3,
                     MVAD_DEVHOST_MAX_TRAININGS=2)
    host.start()
    report = run_load(host.endpoint, host.env["MVAD_API_KEY"], blobs["OneTable"], trains=5, detects=30, workers=10,
                      waves=2, train_timeout=120)
    host.stop()

    first, second = report["trainWaves"]
    assert first["statuses"] == {"201": 2, "429": 3}  # two may run at once
    assert first["errorsByCode"] == {"TooManyRunningModels": 3}
    assert second["statuses"] == {"201": 1, "400": 4}  # three models in all
    assert second["errorsByCode"] == {"TooManyModels": 4}
    assert report["models"] == {"accepted": 3, "listed": 3, "allAcceptedReady": True, "lostOrExtra": [],
                                "maxCount": 3}
    assert report["detectLast"]["statuses"] == {"200": 30}
    assert report["serverErrors"] == 0
