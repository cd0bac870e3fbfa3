"""Retention: batch results older than ``MVAD_RESULT_RETENTION_DAYS`` and the files of deleted models are removed.

Run every night by ``orchestrations/maintenance.py``. A result expires when its record was last updated before the
cut-off (whatever its status: one still CREATED or RUNNING after that long is dead); its results file goes first,
then its record. Orphans are files whose record no longer exists: ``models/{id}/...`` (model file, checkpoint,
prepared frame) of a model deleted while a training chunk was still writing, and ``results/{id}.json`` left by an
interrupted delete. A record is always written before its files; a file is judged an orphan only once it is older
than ``ORPHAN_GRACE``, so a record and file created while the sweep runs (or a clock a little off) are left alone.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from service.models import canonical_id
from service.results import result_blob
from service.settings import Settings, get_settings
from service.storage import MODEL_PARTITION, MODELS, RESULT_PARTITION, RESULTS, Storage, get_storage

log = logging.getLogger(__name__)
ORPHAN_GRACE = dt.timedelta(hours=1)


@dataclass
class RetentionReport:
    expired_results: int = 0
    orphan_model_files: int = 0
    orphan_result_files: int = 0


def cutoff(days: int, now: dt.datetime) -> str:
    """The API time (``%Y-%m-%dT%H:%M:%SZ``, which sorts as text) before which results expire."""
    return (now - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def purge(settings: Settings | None = None, now: dt.datetime | None = None) -> RetentionReport:
    """Delete expired results and orphaned files; returns what was deleted."""
    settings = settings or get_settings()
    storage = get_storage(settings)
    now = now or dt.datetime.now(dt.timezone.utc)
    report = RetentionReport()
    report.expired_results = _expire_results(storage, cutoff(settings.result_retention_days, now))
    report.orphan_model_files = _orphan_model_files(storage, now - ORPHAN_GRACE)
    report.orphan_result_files = _orphan_result_files(storage, now - ORPHAN_GRACE)
    log.info("retention: %d expired results, %d orphaned model files, %d orphaned result files deleted",
             report.expired_results, report.orphan_model_files, report.orphan_result_files)
    return report


def _expire_results(storage: Storage, before: str) -> int:
    rows = storage.table(RESULTS).query_entities(
        "PartitionKey eq @pk and lastUpdatedTime lt @before",
        parameters={"pk": RESULT_PARTITION, "before": before}, select=["RowKey"])
    expired = [row["RowKey"] for row in rows]
    for result_id in expired:
        storage.delete_blob(RESULTS, result_blob(result_id))
        storage.delete_row(RESULTS, RESULT_PARTITION, result_id)
    return len(expired)


def _known(storage: Storage, table: str, partition: str) -> set[str]:
    return {row["RowKey"] for row in storage.list_rows(table, partition, select=["RowKey"])}


def _orphan_model_files(storage: Storage, older_than: dt.datetime) -> int:
    models = _known(storage, MODELS, MODEL_PARTITION)
    deleted = 0
    for blob in storage.container(MODELS).list_blobs():
        model_id = blob.name.split("/", 1)[0]
        if blob.last_modified < older_than and model_id not in models:
            storage.delete_blob(MODELS, blob.name)
            deleted += 1
    return deleted


def _orphan_result_files(storage: Storage, older_than: dt.datetime) -> int:
    results = _known(storage, RESULTS, RESULT_PARTITION)
    deleted = 0
    for blob in storage.container(RESULTS).list_blobs():
        stem = blob.name.removesuffix(".json")
        if blob.last_modified < older_than and (canonical_id(stem) != stem or stem not in results):
            storage.delete_blob(RESULTS, blob.name)
            deleted += 1
    return deleted
