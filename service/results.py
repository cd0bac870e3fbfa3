"""Batch detection use cases: create a result record (CREATED) for a READY model, read a result."""
from __future__ import annotations

import json
import uuid

from mvad_engine.errors import MvadError
from service import validation
from service.models import storage_for, canonical_id, get_model, parse_source, require_ready
from service.records import READY, ResultRecord, now
from service.settings import Settings
from service.storage import RESULT_PARTITION, RESULTS


def result_blob(result_id: str) -> str:
    return f"{result_id}.json"


def create_result(model_id: str, body, settings: Settings | None = None) -> ResultRecord:
    """Validate a detect-batch request against a READY model and store its record; the caller starts detection."""
    _, storage = storage_for(settings)
    options = validation.batch_request(body)
    model = get_model(model_id, settings)
    require_ready(model)
    location = parse_source(options["dataSource"], storage)
    options["dataSource"] = location.display_url
    created, _ = now()
    record = ResultRecord(result_id=str(uuid.uuid4()), model_id=model.model_id, setup_info=options,
                          created_time=created, last_updated_time=created, source_sas=location.sas)
    storage.create_row(RESULTS, record.to_entity())
    return record


def get_result_record(result_id: str, settings: Settings | None = None) -> ResultRecord:
    _, storage = storage_for(settings)
    key = canonical_id(result_id)
    entity = storage.get_row(RESULTS, RESULT_PARTITION, key) if key else None
    if entity is None:
        raise MvadError("ResultNotExist", "The result does not exist.")
    return ResultRecord.from_entity(entity)


def get_result(result_id: str, settings: Settings | None = None) -> dict:
    """The API's ``MultivariateDetectionResult``: the summary, and the per-timestamp results once READY."""
    _, storage = storage_for(settings)
    record = get_result_record(result_id, settings)
    results = []
    if record.status == READY:
        data = storage.get_blob(RESULTS, result_blob(record.result_id))
        results = json.loads(data)["results"] if data else []
    return record.to_api(results)


def delete_result(result_id: str, settings: Settings | None = None) -> None:
    """Remove a result's record and results file (e.g. when its detection could not be started)."""
    _, storage = storage_for(settings)
    storage.delete_row(RESULTS, RESULT_PARTITION, result_id)
    storage.delete_blob(RESULTS, result_blob(result_id))
