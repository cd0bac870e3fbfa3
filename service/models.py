"""Model use cases: create (record CREATED), read, list, delete, export, and load a READY model for detection."""
from __future__ import annotations

import functools
import threading
import uuid

from mvad_engine.errors import MvadError
from service import validation
from service.datasource import parse_data_source
from service.model_cache import ModelCache
from service.records import CREATED, FAILED, READY, RUNNING, ModelRecord, now
from service.settings import Settings, get_settings
from service.storage import MODEL_PARTITION, MODELS, RESULTS, Storage, get_storage

MODEL_FILE = "model.zip"
DEFAULT_TOP = 10
# Count-then-create must not interleave within one process, or concurrent requests would all pass the limits.
_CREATE_LOCK = threading.Lock()


def model_blob(model_id: str, name: str) -> str:
    return f"{model_id}/{name}"


def canonical_id(value: str) -> str | None:
    """The lowercase uuid, or None when ``value`` is not one (such ids can never exist)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def storage_for(settings: Settings | None) -> tuple[Settings, Storage]:
    settings = settings or get_settings()
    return settings, get_storage(settings)


def parse_source(url, storage: Storage):
    """Check a dataSource URL (no request made); the service's own model and result containers are off limits."""
    internal = (storage.name(MODELS), storage.name(RESULTS))
    return parse_data_source(url, storage.settings, storage.own_blob_endpoint, internal)


def create_model(body, settings: Settings | None = None) -> ModelRecord:
    """Validate a training request and store its record (CREATED). Starting the training is the caller's part."""
    settings, storage = storage_for(settings)
    info = validation.train_request(body)
    location = parse_source(info["dataSource"], storage)
    info["dataSource"] = location.display_url
    with _CREATE_LOCK:
        statuses = [row["status"] for row in storage.list_rows(MODELS, MODEL_PARTITION, select=["status"])]
        if len(statuses) >= settings.max_models:
            raise MvadError("TooManyModels", "This subscription has reached the maximum number of models.")
        if sum(status in (CREATED, RUNNING) for status in statuses) >= settings.max_running_trainings:
            raise MvadError("TooManyRunningModels", f"At most {settings.max_running_trainings} models can be "
                            "training at the same time. Please retry after one of them is ready.")
        created, stamp = now()
        record = ModelRecord(model_id=str(uuid.uuid4()), model_info=info, created_time=created,
                             last_updated_time=created, updated_at=stamp, epochs=settings.train_epochs,
                             source_sas=location.sas)
        storage.create_row(MODELS, record.to_entity())
    return record


def get_model(model_id: str, settings: Settings | None = None) -> ModelRecord:
    _, storage = storage_for(settings)
    key = canonical_id(model_id)
    entity = storage.get_row(MODELS, MODEL_PARTITION, key) if key else None
    if entity is None:
        raise MvadError("ModelNotExist", "The model does not exist.")
    return ModelRecord.from_entity(entity)


def list_models(skip: int = 0, top: int | None = None, settings: Settings | None = None) -> tuple[list[ModelRecord], int]:
    """A page of models, most recently updated first, and how many there are in all."""
    _, storage = storage_for(settings)
    records = [ModelRecord.from_entity(e) for e in storage.list_rows(MODELS, MODEL_PARTITION)]
    records.sort(key=lambda r: (r.updated_at, r.created_time, r.model_id), reverse=True)
    top = DEFAULT_TOP if top is None else top
    return records[skip:skip + top], len(records)


def delete_model(model_id: str, settings: Settings | None = None) -> ModelRecord:
    """Remove the record first (a running training notices and stops), then the model's blobs and cached copy."""
    _, storage = storage_for(settings)
    record = get_model(model_id, settings)
    storage.delete_row(MODELS, MODEL_PARTITION, record.model_id)
    storage.delete_prefix(MODELS, record.model_id + "/")
    model_cache(storage.settings.model_cache_size).evict(record.model_id)
    return record


def require_ready(record: ModelRecord) -> None:
    if record.status == FAILED:
        raise MvadError("ModelFailed", "Model failed to be trained.")
    if record.status != READY:
        raise MvadError("ModelNotReady", "The model is not ready yet.")


def export_model(model_id: str, settings: Settings | None = None) -> bytes:
    """The model file (a zip) of a READY model."""
    _, storage = storage_for(settings)
    record = get_model(model_id, settings)
    require_ready(record)
    data = storage.get_blob(MODELS, model_blob(record.model_id, MODEL_FILE))
    if data is None:  # the record is READY only once the file is written; gone means deleted meanwhile
        raise MvadError("ModelNotExist", "The model does not exist.")
    return data


@functools.lru_cache(maxsize=1)
def model_cache(capacity: int) -> ModelCache:
    return ModelCache(capacity)


def load_ready_model(model_id: str, settings: Settings | None = None):
    """``(record, MvadModel)`` of a READY model, from the LRU cache when the record's version is unchanged."""
    _, storage = storage_for(settings)
    record = get_model(model_id, settings)
    require_ready(record)

    def load():
        from mvad_engine import MvadModel

        data = storage.get_blob(MODELS, model_blob(record.model_id, MODEL_FILE))
        if data is None:
            raise MvadError("ModelNotExist", "The model does not exist.")
        return MvadModel.load(data)

    return record, model_cache(storage.settings.model_cache_size).get(record.model_id, record.etag, load)

