"""The quickstart through the official SDK against the local stack: train, batch detect, detect-last, list, export,
delete, for the OneTable CSV and the MultiTable zip."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from azure.ai.anomalydetector.models import (ModelStatus, MultivariateBatchDetectionOptions,
                                             MultivariateBatchDetectionStatus, MultivariateLastDetectionOptions,
                                             VariableValues)
from azure.core.exceptions import ResourceNotFoundError
from azure.core.rest import HttpRequest

from e2e_helpers import DETECT_END, DETECT_START, EPOCHS, train_body, utc, wait_for_model, wait_for_result

pytestmark = pytest.mark.e2e
SCHEMAS = ["OneTable", "MultiTable"]
VARIABLES = [f"series_{i}" for i in range(5)]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_training_reaches_ready_with_its_diagnostics(client, trained_models, blobs, schema):
    model = client.get_multivariate_model(trained_models[schema])
    info = model.model_info
    assert info.status == ModelStatus.READY, info.errors
    assert info.data_source == blobs[schema] and info.data_schema == schema and info.sliding_window == 200
    assert info.start_time == utc("2021-01-01T00:00:00Z") and info.end_time == utc("2021-01-02T09:19:00Z")
    states = info.diagnostics_info.variable_states
    assert sorted(s.variable for s in states) == VARIABLES
    assert all(s.effective_count == 2000 and s.filled_n_a_ratio == 0 for s in states)
    epoch_ids = info.diagnostics_info.model_state.epoch_ids
    assert epoch_ids and max(epoch_ids) == EPOCHS
    assert model.last_updated_time >= model.created_time


@pytest.mark.parametrize("schema", SCHEMAS)
def test_batch_detection(client, trained_models, blobs, schema):
    started = client.detect_multivariate_batch_anomaly(trained_models[schema], MultivariateBatchDetectionOptions(
        data_source=blobs[schema], top_contributor_count=3, start_time=utc(DETECT_START), end_time=utc(DETECT_END)))
    assert started.result_id and started.summary.status in (MultivariateBatchDetectionStatus.CREATED,
                                                            MultivariateBatchDetectionStatus.RUNNING)
    result = wait_for_result(client, started.result_id)
    assert result.summary.status == MultivariateBatchDetectionStatus.READY, result.summary.errors
    assert result.summary.setup_info.top_contributor_count == 3
    assert len(result.results) == 1000
    assert result.results[0].timestamp == utc(DETECT_START) and result.results[-1].timestamp == utc(DETECT_END)
    scored = [r for r in result.results if r.value is not None]
    assert len(scored) == 1000  # the rows before startTime give every timestamp its full window
    for r in scored:
        assert 0 <= r.value.severity <= 1 and r.value.score >= 0
        assert len(r.value.interpretation or []) <= 3
        assert r.value.is_anomaly == (r.value.severity > 0)


def test_detect_last_with_the_sample_request(client, trained_models, samples):
    body = json.loads((samples / "5_3000.json").read_text())
    answer = client.detect_multivariate_last_anomaly(trained_models["OneTable"], MultivariateLastDetectionOptions(
        variables=[VariableValues(variable=v["variable"], timestamps=v["timestamps"], values=v["values"])
                   for v in body["variables"]], top_contributor_count=body["topContributorCount"]))
    assert len(answer.results) == 10
    assert answer.results[-1].timestamp == utc(body["variables"][0]["timestamps"][-1])
    assert all(r.value is not None and 0 <= r.value.severity <= 1 for r in answer.results)
    assert sorted(s.variable for s in answer.variable_states) == VARIABLES


def test_export_gives_the_model_file(client, trained_models):
    model_id = trained_models["OneTable"]
    response = client.send_request(HttpRequest("GET", f"/multivariate/models/{model_id}/export"), stream=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/zip")
    assert zipfile.ZipFile(io.BytesIO(response.read())).namelist()


def test_bad_data_fails_the_model_and_lists_page_by_page(client, broken_csv):
    created = [client.train_multivariate_model(train_body(broken_csv, name=f"page-{i}")).model_id for i in range(3)]
    for model_id in created:  # a data error fails the training (no retries), with the error on the model
        model = wait_for_model(client, model_id, timeout=60)
        assert model.model_info.status == ModelStatus.FAILED
        assert model.model_info.errors and model.model_info.errors[0].code and model.model_info.errors[0].message

    # Nothing trains now, so the order (most recently updated first) holds still while paging.
    everything = [m.model_id for m in client.list_multivariate_models()]
    assert set(created) <= set(everything) and len(everything) == len(set(everything))
    pages = [[m.model_id for m in page] for page in client.list_multivariate_models(skip=0, top=2).by_page()]
    assert all(1 <= len(page) <= 2 for page in pages) and len(pages) == -(-len(everything) // 2)
    assert [model_id for page in pages for model_id in page] == everything
    assert [m.model_id for m in client.list_multivariate_models(skip=1, top=2)] == everything[1:]

    for model_id in created:
        client.delete_multivariate_model(model_id)
        with pytest.raises(ResourceNotFoundError):
            client.get_multivariate_model(model_id)
    assert not {m.model_id for m in client.list_multivariate_models()} & set(created)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_delete_a_trained_model(client, blobs, schema):
    model_id = client.train_multivariate_model(train_body(blobs[schema], schema, "to-delete")).model_id
    assert wait_for_model(client, model_id).model_info.status == ModelStatus.READY
    client.delete_multivariate_model(model_id)
    with pytest.raises(ResourceNotFoundError):
        client.get_multivariate_model(model_id)
    with pytest.raises(ResourceNotFoundError):
        client.delete_multivariate_model(model_id)
