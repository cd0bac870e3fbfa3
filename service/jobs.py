"""The long-running work, one function per orchestration activity: prepare, train in chunks, finalise, detect.

Each step is idempotent (Durable may run an activity again) and notices a model or result deleted meanwhile: it
cleans up what it wrote and returns ``{"cancelled": True}``. A data or validation problem raises ``MvadError``
(the orchestration records it with ``fail_model``/``fail_result``); anything else is transient and simply raises.
"""
from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from mvad_engine.errors import MvadError
from mvad_engine.timestamps import parse_timestamp
from service.datasource import download_data_source
from service.models import MODEL_FILE, load_ready_model, model_blob, parse_source, storage_for
from service.records import FAILED, READY, RUNNING, ModelRecord, ResultRecord
from service.results import result_blob
from service.settings import Settings
from service.storage import MODEL_PARTITION, MODELS, RESULT_PARTITION, RESULTS, Storage


FRAME_FILE = "frame.npz"
CHECKPOINT_FILE = "checkpoint.pt"
PROGRESS_EVERY = 10  # the service reports modelState every 10 epochs
CANCELLED = {"cancelled": True}


class _Cancelled(Exception):
    """The model record disappeared while training: stop at the next epoch."""


def _update(storage: Storage, table: str, partition: str, record_type, row_id: str, change):
    """Apply ``change(record)`` to a row under its ETag; None when the row no longer exists or ``change`` says False."""
    def apply(entity):
        record = record_type.from_entity(entity)
        if change(record) is False:
            return None
        record.touch()
        return record.to_entity()

    entity = storage.update_row(table, partition, row_id, apply)
    return None if entity is None else record_type.from_entity(entity)


def _update_model(storage: Storage, model_id: str, change) -> ModelRecord | None:
    return _update(storage, MODELS, MODEL_PARTITION, ModelRecord, model_id, change)


def _update_result(storage: Storage, result_id: str, change) -> ResultRecord | None:
    return _update(storage, RESULTS, RESULT_PARTITION, ResultRecord, result_id, change)


def _model_record(storage: Storage, model_id: str) -> ModelRecord | None:
    entity = storage.get_row(MODELS, MODEL_PARTITION, model_id)
    return None if entity is None else ModelRecord.from_entity(entity)


def _cancel_model(storage: Storage, model_id: str) -> dict:
    storage.delete_prefix(MODELS, model_id + "/")
    return CANCELLED


def _source_url(display_url: str, sas: str) -> str:
    return display_url + (f"?{sas}" if sas else "")


def _prepare_frame(storage: Storage, settings: Settings, url: str, schema: str, policy: dict, start=None, end=None):
    from mvad_engine import prepare

    start, end = (None if t is None else parse_timestamp(t) for t in (start, end))
    location = parse_source(url, storage)
    with tempfile.TemporaryDirectory(prefix="mvad-data-") as tmp:
        path = download_data_source(location, schema, settings, storage.blob_service, Path(tmp))
        try:
            return prepare(path, schema=schema, start=start, end=end, align_mode=policy.get("alignMode", "Outer"),
                           fill_na_method=policy.get("fillNAMethod", "Linear"),
                           padding_value=policy.get("paddingValue"))
        except MvadError as error:  # name the user's blob, not our temporary copy of it
            raise MvadError(error.code, error.message.replace(str(path), location.display_url)) from None


def _new_model(record: ModelRecord):
    from mvad_engine import MvadModel

    info = record.model_info
    return MvadModel(sliding_window=info["slidingWindow"], epochs=record.epochs, align_policy=info["alignPolicy"])


def _merge_progress(state: dict, entries: list[tuple[int, float, float, float]]) -> bool:
    """Add (epoch, train, validation, latency) entries not yet in ``state``; True when something was added."""
    added = False
    for epoch, train, validation, latency in entries:
        if epoch in state["epochIds"]:
            continue
        state["epochIds"].append(int(epoch))
        state["trainLosses"].append(float(train))
        state["validationLosses"].append(float(validation))
        state["latenciesInSeconds"].append(float(latency))
        added = True
    order = sorted(range(len(state["epochIds"])), key=state["epochIds"].__getitem__)
    for key in state:
        state[key] = [state[key][i] for i in order]
    return added


def prepare_training(model_id: str, settings: Settings | None = None) -> dict:
    """Read and prepare the training data, store it, record variableStates; status RUNNING."""
    settings, storage = storage_for(settings)
    record = _model_record(storage, model_id)
    if record is None:
        return _cancel_model(storage, model_id)
    if record.status in (READY, FAILED):
        return {"epochs": record.epochs, "epochsPerChunk": settings.epochs_per_chunk, "status": record.status}
    info = record.model_info
    frame = _prepare_frame(storage, settings, _source_url(info["dataSource"], record.source_sas), info["dataSchema"],
                           info["alignPolicy"], start=info["startTime"], end=info["endTime"])
    buffer = io.BytesIO()
    frame.save(buffer)
    storage.put_blob(MODELS, model_blob(model_id, FRAME_FILE), buffer.getvalue())

    def running(r: ModelRecord):
        r.status, r.variable_states, r.source_sas = RUNNING, frame.variable_states, ""

    if _update_model(storage, model_id, running) is None:
        return _cancel_model(storage, model_id)
    return {"epochs": record.epochs, "epochsPerChunk": settings.epochs_per_chunk}


def _load_training_state(storage: Storage, model_id: str, folder: Path):
    """(frame, checkpoint path, epochs done) from Blob; the checkpoint's epoch count is kept in its metadata."""
    from mvad_engine import PreparedFrame

    data = storage.get_blob(MODELS, model_blob(model_id, FRAME_FILE))
    if data is None:
        raise RuntimeError(f"the prepared data of model {model_id} is missing; run prepare_training first")
    checkpoint = folder / CHECKPOINT_FILE
    meta = storage.download_blob_to(MODELS, model_blob(model_id, CHECKPOINT_FILE), checkpoint)
    return PreparedFrame.load(data), checkpoint, int((meta or {}).get("epochsdone", 0))


def _fit(storage: Storage, record: ModelRecord, frame, checkpoint: Path, stop_after: int | None):
    """Train from the checkpoint, publishing modelState every 10 epochs; raises _Cancelled when the model is gone."""
    model = _new_model(record)

    def on_epoch(report):
        if report.epoch % PROGRESS_EVERY:
            return
        entry = (report.epoch, report.train_loss, report.validation_loss, report.latency_seconds)
        if _update_model(storage, record.model_id, lambda r: _merge_progress(r.model_state, [entry])) is None:
            raise _Cancelled()

    model.fit(frame, on_epoch=on_epoch, checkpoint=str(checkpoint), stop_after_epochs=stop_after)
    return model


def _save_fitted(storage: Storage, model_id: str, model) -> None:
    buffer = io.BytesIO()
    model.save(buffer)
    storage.put_blob(MODELS, model_blob(model_id, MODEL_FILE), buffer.getvalue())
    state = model.model_state or {}
    entries = list(zip(state.get("epochIds", []), state.get("trainLosses", []), state.get("validationLosses", []),
                       state.get("latenciesInSeconds", [])))
    _update_model(storage, model_id, lambda r: _merge_progress(r.model_state, entries))


def train_chunk(model_id: str, until_epoch: int, settings: Settings | None = None) -> dict:
    """Train until ``until_epoch`` (resuming from the checkpoint); the fitted model is saved once all epochs ran."""
    settings, storage = storage_for(settings)
    record = _model_record(storage, model_id)
    if record is None or record.status == FAILED:
        return _cancel_model(storage, model_id) if record is None else CANCELLED
    if record.status == READY:
        return {"epochsDone": record.epochs}
    until_epoch = min(int(until_epoch), record.epochs)
    with tempfile.TemporaryDirectory(prefix="mvad-train-") as tmp:
        frame, checkpoint, done = _load_training_state(storage, model_id, Path(tmp))
        if done >= until_epoch:
            return {"epochsDone": done}
        try:
            model = _fit(storage, record, frame, checkpoint, stop_after=until_epoch - done)
        except _Cancelled:
            return _cancel_model(storage, model_id)
        if model.is_fitted:
            _save_fitted(storage, model_id, model)
        with open(checkpoint, "rb") as f:
            storage.put_blob(MODELS, model_blob(model_id, CHECKPOINT_FILE), f,
                             metadata={"epochsdone": str(model.epochs_done)})
    if _model_record(storage, model_id) is None:  # deleted while we trained: leave nothing behind
        return _cancel_model(storage, model_id)
    return {"epochsDone": model.epochs_done}


def finalize_training(model_id: str, settings: Settings | None = None) -> dict:
    """The model file in place (training any epochs left), working files removed, status READY."""
    settings, storage = storage_for(settings)
    record = _model_record(storage, model_id)
    if record is None:
        return _cancel_model(storage, model_id)
    if record.status == READY:
        return {"status": READY}
    if not storage.blob_exists(MODELS, model_blob(model_id, MODEL_FILE)):
        with tempfile.TemporaryDirectory(prefix="mvad-train-") as tmp:
            frame, checkpoint, _ = _load_training_state(storage, model_id, Path(tmp))
            try:
                model = _fit(storage, record, frame, checkpoint, stop_after=None)
            except _Cancelled:
                return _cancel_model(storage, model_id)
            _save_fitted(storage, model_id, model)

    def ready(r: ModelRecord):
        if r.status == FAILED:
            return False
        r.status, r.errors = READY, []

    updated = _update_model(storage, model_id, ready)
    if updated is None:
        return _cancel_model(storage, model_id)
    storage.delete_blob(MODELS, model_blob(model_id, CHECKPOINT_FILE))
    storage.delete_blob(MODELS, model_blob(model_id, FRAME_FILE))
    return {"status": updated.status}


def fail_model(model_id: str, code: str, message: str, settings: Settings | None = None) -> dict:
    """Status FAILED with the error; working files and any model file removed."""
    settings, storage = storage_for(settings)

    def failed(r: ModelRecord):
        r.status, r.errors, r.source_sas = FAILED, [{"code": code, "message": message}], ""

    updated = _update_model(storage, model_id, failed)
    storage.delete_prefix(MODELS, model_id + "/")
    return CANCELLED if updated is None else {"status": FAILED}


def run_batch_detection(result_id: str, settings: Settings | None = None) -> dict:
    """Detect over [startTime, endTime] of the result's data (earlier rows serve as history); results to Blob."""
    settings, storage = storage_for(settings)
    entity = storage.get_row(RESULTS, RESULT_PARTITION, result_id)
    if entity is None:
        return CANCELLED
    record = ResultRecord.from_entity(entity)
    if record.status in (READY, FAILED):
        return {"status": record.status}
    _update_result(storage, result_id, lambda r: setattr(r, "status", RUNNING))
    model_record, model = load_ready_model(record.model_id, settings)
    setup = record.setup_info
    frame = _prepare_frame(storage, settings, _source_url(setup["dataSource"], record.source_sas),
                           model_record.model_info["dataSchema"], model_record.model_info["alignPolicy"],
                           end=setup["endTime"])
    results = model.detect(frame, start=parse_timestamp(setup["startTime"]), end=parse_timestamp(setup["endTime"]),
                           top_contributors=setup["topContributorCount"])
    storage.put_blob(RESULTS, result_blob(result_id), json.dumps({"results": results}).encode())

    def ready(r: ResultRecord):
        r.status, r.variable_states, r.errors, r.source_sas = READY, frame.variable_states, [], ""

    if _update_result(storage, result_id, ready) is None:
        storage.delete_blob(RESULTS, result_blob(result_id))
        return CANCELLED
    return {"status": READY, "results": len(results)}


def fail_result(result_id: str, code: str, message: str, settings: Settings | None = None) -> dict:
    settings, storage = storage_for(settings)

    def failed(r: ResultRecord):
        r.status, r.errors, r.source_sas = FAILED, [{"code": code, "message": message}], ""

    storage.delete_blob(RESULTS, result_blob(result_id))
    return CANCELLED if _update_result(storage, result_id, failed) is None else {"status": FAILED}
