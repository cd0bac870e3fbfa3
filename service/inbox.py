"""Detection by file drop: a blob ``inbox/{modelId}/{name}.csv|.zip`` becomes a batch detection with that model.

The blob trigger (Azure) and the local host's inbox poller both call ``accept_blob`` with the blob's name inside the
inbox container, start ``detect_batch_orchestrator`` with ``InboxJob.orchestration_input``, and call ``release``
if that start fails. The orchestration's last step, ``write_outbox``, writes ``outbox/{modelId}/{name}.json`` (the
body of ``GET detect-batch/{resultId}``) or ``outbox/{modelId}/{name}.error.json`` (``{code, message, resultId}``).

Rules:

- Only ``{folder}/{name}.csv`` and ``{folder}/{name}.zip`` (extension in any case) are read; any other name (at
  the container root, nested deeper, another extension) is ignored and logged: with no model folder there is no
  outbox place to answer in, and sidecar files may live beside the data.
- The folder is the model id. An unknown one (or one that is not a uuid) gets ``ModelNotExist``, a model still
  training ``ModelNotReady``, a failed one ``ModelFailed``: the error file, and no result.
- The file is read as the model's ``dataSchema`` says (a OneTable model reads a CSV, or a zip holding one CSV).
- The whole file is the detection range: startTime = its first timestamp, endTime = its last one (after the model's
  alignment), so the first ``slidingWindow`` timestamps get ``InsufficientHistoricalData``. Blob metadata
  ``starttime``, ``endtime`` and ``topcontributorcount`` (names in any case) override the range and the default of
  10 contributors; they are validated as the API validates a detect-batch request.
- Each ``(blob name, ETag)`` is processed once: a claim row in the ``inbox`` table (RowKey = hash of both) is
  inserted before anything else, and an insert only succeeds once, so two triggers or pollers never both take it.
  Uploading the blob again (a new ETag) processes it again. A transient failure removes the claim (and the result
  record) again so the trigger's retry, or the next poll, takes it afresh.
"""
from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import ContentSettings

from mvad_engine.errors import MvadError
from service import results
from service.models import get_model, require_ready, storage_for
from service.records import READY, now
from service.settings import Settings
from service.storage import INBOX, OUTBOX, Storage

log = logging.getLogger(__name__)

CLAIMS = "inbox"  # the table of processed (blob name, ETag) pairs
CLAIM_PARTITION = "inbox"
EXTENSIONS = (".csv", ".zip")
ACCEPTED, REJECTED, SUPERSEDED = "ACCEPTED", "REJECTED", "SUPERSEDED"
_OVERRIDES = {"starttime": "startTime", "endtime": "endTime", "topcontributorcount": "topContributorCount"}
_JSON = ContentSettings(content_type="application/json")


@dataclass(frozen=True)
class InboxName:
    folder: str  # the model id as written in the blob name
    stem: str  # the file name without its extension

    @property
    def outbox(self) -> str:
        """The outbox names without their ending: ``{folder}/{stem}`` + ``.json`` or ``.error.json``."""
        return f"{self.folder}/{self.stem}"


@dataclass(frozen=True)
class InboxJob:
    """A claimed inbox blob whose result record exists: the caller starts its detection."""

    result_id: str
    outbox: str
    claim_key: str

    @property
    def orchestration_input(self) -> dict:
        return {"resultId": self.result_id, "outbox": self.outbox}


def parse_inbox_name(blob_name: str) -> InboxName | None:
    """``{folder}/{stem}`` of ``{folder}/{stem}.csv|.zip``; None for any name the inbox ignores."""
    parts = blob_name.split("/")
    if len(parts) != 2 or not parts[0].strip():
        return None
    path = PurePosixPath(parts[1])
    if path.suffix.lower() not in EXTENSIONS or not path.stem or path.stem.startswith("."):
        return None
    return InboxName(parts[0], path.stem)


def outbox_blob(outbox: str, error: bool = False) -> str:
    return outbox + (".error.json" if error else ".json")


def claim_key(blob_name: str, etag: str) -> str:
    # RowKeys may not hold '/', '#', '?' or control characters, and blob names may: a digest is safe and fixed-size
    return hashlib.sha256(f"{blob_name}\n{etag}".encode()).hexdigest()


def accept_blob(blob_name: str, settings: Settings | None = None) -> InboxJob | None:
    """Claim an inbox blob and create its result record (CREATED); None when there is nothing to start.

    Nothing to start: an ignored name, a blob gone meanwhile, one already claimed, or one rejected with an error
    file (unknown or unready model, unreadable data, invalid metadata).
    """
    settings, storage = storage_for(settings)
    name = parse_inbox_name(blob_name)
    if name is None:
        log.info("inbox blob %r ignored: not {modelId}/{name}.csv or .zip", blob_name)
        return None
    blob = storage.container(INBOX).get_blob_client(blob_name)
    try:
        properties = blob.get_blob_properties()
    except ResourceNotFoundError:
        return None
    key = claim_key(blob_name, properties.etag)
    created, _ = now()
    try:
        storage.table(CLAIMS).create_entity({"PartitionKey": CLAIM_PARTITION, "RowKey": key, "blobName": blob_name,
                                             "etag": properties.etag, "claimedAt": created, "status": "CLAIMED"})
    except ResourceExistsError:
        log.info("inbox blob %s (ETag %s) was already taken", blob_name, properties.etag)
        return None
    record = None
    try:
        record = _create_result(storage, settings, key, blob, name, properties)
        if record is None:
            return None
        _mark(storage, key, ACCEPTED, resultId=record.result_id)
    except Exception:
        # transient (storage, network): give the claim and any result back, so the trigger's retry or the next
        # poll takes the blob afresh
        if record is not None:
            results.delete_result(record.result_id, settings)
        storage.delete_row(CLAIMS, CLAIM_PARTITION, key)
        raise
    return InboxJob(record.result_id, name.outbox, key)


def release(job: InboxJob, settings: Settings | None = None) -> None:
    """Undo ``accept_blob`` when the detection could not be started, so the blob is taken again on a retry."""
    settings, storage = storage_for(settings)
    results.delete_result(job.result_id, settings)
    storage.delete_row(CLAIMS, CLAIM_PARTITION, job.claim_key)


def write_outbox(result_id: str, outbox: str, settings: Settings | None = None) -> dict:
    """The detection's answer in the outbox: the result body when READY, otherwise its error; returns the blob name."""
    settings, storage = storage_for(settings)
    try:
        answer = results.get_result(result_id, settings)
    except MvadError as error:  # the result was deleted before detection ended
        return {"outbox": write_error(storage, outbox, error.code, error.message, result_id)}
    summary = answer["summary"]
    if summary["status"] != READY:
        error = (summary["errors"] or [{"code": "InternalServerError", "message": "The detection did not finish."}])[0]
        return {"outbox": write_error(storage, outbox, error["code"], error["message"], result_id)}
    name = outbox_blob(outbox)
    _put_json(storage, name, answer)
    storage.delete_blob(OUTBOX, outbox_blob(outbox, error=True))  # from an earlier upload of the same name
    return {"outbox": name}


def write_error(storage: Storage, outbox: str, code: str, message: str, result_id: str | None = None) -> str:
    """``{outbox}.error.json`` with the service's ``{code, message}`` (and the result id when there is one)."""
    body = {"code": code, "message": message}
    if result_id:
        body["resultId"] = result_id
    name = outbox_blob(outbox, error=True)
    _put_json(storage, name, body)
    storage.delete_blob(OUTBOX, outbox_blob(outbox))  # an older success must not read as this upload's answer
    return name


def _put_json(storage: Storage, name: str, value) -> None:
    storage.container(OUTBOX).upload_blob(name, json.dumps(value).encode(), overwrite=True, content_settings=_JSON)


def _mark(storage: Storage, key: str, status: str, **extra) -> None:
    def change(entity):
        entity.update(status=status, **extra)
        return entity

    storage.update_row(CLAIMS, CLAIM_PARTITION, key, change)


def _create_result(storage: Storage, settings: Settings, key: str, blob, name: InboxName, properties):
    """The result record, or None when the blob gets an error file instead or was replaced meanwhile."""
    try:
        return _checked_result(settings, blob, name, properties)
    except ResourceModifiedError:  # replaced since we looked: the new version has its own ETag and its own turn
        _mark(storage, key, SUPERSEDED)
    except MvadError as error:
        log.info("inbox blob %s rejected: %s", blob.blob_name, error.code)
        write_error(storage, name.outbox, error.code, error.message)
        _mark(storage, key, REJECTED, code=error.code)
    return None


def _checked_result(settings: Settings, blob, name: InboxName, properties):
    """Check the model, find the data's time range (unless the metadata gives it), create the result record."""
    model = get_model(name.folder, settings)
    require_ready(model)
    if properties.size > settings.max_source_bytes:
        raise MvadError("InvalidFileSize", f"The file exceeds the size limit of {settings.max_source_bytes} bytes.")
    body = _overrides(properties.metadata or {})
    if "startTime" not in body or "endTime" not in body:
        first, last = _time_range(blob, name, properties.etag, model.model_info)
        body.setdefault("startTime", first)
        body.setdefault("endTime", last)
    body["dataSource"] = blob.url
    return results.create_result(model.model_id, body, settings)


def _overrides(metadata: dict) -> dict:
    body = {}
    for key, value in metadata.items():
        field = _OVERRIDES.get(key.lower())
        if field == "topContributorCount":
            body[field] = int(value) if value.strip().isdigit() else value  # anything else fails validation
        elif field:
            body[field] = value
    return body


def _time_range(blob, name: InboxName, etag: str, model_info: dict) -> tuple[str, str]:
    """First and last timestamp of the data as the model's schema and alignment read it (this ETag's content)."""
    from mvad_engine import prepare
    from mvad_engine.timestamps import format_timestamp

    policy = model_info["alignPolicy"]
    with tempfile.TemporaryDirectory(prefix="mvad-inbox-") as tmp:
        path = Path(tmp) / PurePosixPath(blob.blob_name).name
        with open(path, "wb") as f:
            blob.download_blob(etag=etag, match_condition=MatchConditions.IfNotModified).readinto(f)
        try:
            frame = prepare(path, schema=model_info["dataSchema"], align_mode=policy.get("alignMode", "Outer"),
                            fill_na_method=policy.get("fillNAMethod", "Linear"),
                            padding_value=policy.get("paddingValue"))
        except MvadError as error:  # name the user's blob, not our temporary copy
            raise MvadError(error.code, error.message.replace(str(path), f"inbox/{blob.blob_name}")) from None
    return format_timestamp(frame.timestamps[0]), format_timestamp(frame.timestamps[-1])
