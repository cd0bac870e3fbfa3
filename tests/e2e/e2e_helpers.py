"""Shared by the end-to-end tests: the test key, the quickstart periods, the SDK calls that wait."""
from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timezone

from azure.ai.anomalydetector import AnomalyDetectorClient
from azure.ai.anomalydetector.models import (AlignMode, AlignPolicy, FillNAMethod, ModelInfo, ModelStatus,
                                             MultivariateBatchDetectionStatus)

API_KEY = "e2e-" + uuid.uuid4().hex[:12]
EPOCHS = int(os.environ.get("MVAD_E2E_EPOCHS", "3"))
TRAIN_START, TRAIN_END = "2021-01-01T00:00:00Z", "2021-01-02T09:19:00Z"
DETECT_START, DETECT_END = "2021-01-02T09:20:00Z", "2021-01-03T01:59:00Z"


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def train_body(data_source: str, schema: str = "OneTable", name: str = "e2e") -> ModelInfo:
    return ModelInfo(data_source=data_source, data_schema=schema, start_time=utc(TRAIN_START),
                     end_time=utc(TRAIN_END), display_name=name, sliding_window=200,
                     align_policy=AlignPolicy(align_mode=AlignMode.OUTER, fill_n_a_method=FillNAMethod.LINEAR,
                                              padding_value=0))


def wait_for_model(client: AnomalyDetectorClient, model_id: str, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while True:
        model = client.get_multivariate_model(model_id)
        if model.model_info.status in (ModelStatus.READY, ModelStatus.FAILED):
            return model
        assert time.monotonic() < deadline, f"model {model_id} still {model.model_info.status} after {timeout} s"
        time.sleep(1)


def wait_for_result(client: AnomalyDetectorClient, result_id: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while True:
        result = client.get_multivariate_batch_detection_result(result_id)
        if result.summary.status in (MultivariateBatchDetectionStatus.READY, MultivariateBatchDetectionStatus.FAILED):
            return result
        assert time.monotonic() < deadline, f"result {result_id} still {result.summary.status} after {timeout} s"
        time.sleep(0.5)
