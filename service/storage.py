"""Blob containers and Tables of the service, created on first use; conditional (ETag) updates of table rows.

Layout: containers ``models`` (``{modelId}/model.zip``, ``{modelId}/checkpoint.pt``, ``{modelId}/frame.npz``, and
``jobs/{jobId}.json``, where a GPU worker leaves the outcome of its job),
``results`` (``{resultId}.json``), ``inbox``, ``outbox``; tables ``models`` and ``results`` (one partition each,
RowKey = id). Every name carries ``Settings.container_prefix`` so tests can isolate themselves.
"""
from __future__ import annotations

import functools
import logging
import threading
from typing import Callable

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableServiceClient, UpdateMode
from azure.storage.blob import BlobServiceClient, ContainerClient

from service.settings import Settings

log = logging.getLogger(__name__)

MODELS = "models"
RESULTS = "results"
INBOX = "inbox"
OUTBOX = "outbox"
MODEL_PARTITION = "model"
RESULT_PARTITION = "result"
_UPDATE_ATTEMPTS = 8


def job_outcome_blob(job_id: str) -> str:
    """The blob of ``models`` where the worker of job ``job_id`` writes its outcome and the Function App reads it."""
    return f"jobs/{job_id}.json"


class Storage:
    """The app's own storage account: Blob containers and Tables, by connection string or managed identity."""

    def __init__(self, settings: Settings):
        self.settings = settings
        if settings.uses_identity:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
            self.blob_service = BlobServiceClient(settings.storage_account_url, credential=credential)
            table_url = settings.table_account_url or settings.storage_account_url.replace(".blob.", ".table.")
            self.table_service = TableServiceClient(endpoint=table_url, credential=credential)
        else:
            conn = settings.storage_connection_string
            self.blob_service = BlobServiceClient.from_connection_string(conn)
            self.table_service = TableServiceClient.from_connection_string(conn)
        self._ready: set[str] = set()
        self._lock = threading.Lock()

    # -- names ---------------------------------------------------------------------------------------------------
    def name(self, base: str, table: bool = False) -> str:
        """The container (or table) name of ``models``, ``results`` ... with the configured prefix."""
        prefix = self.settings.container_prefix
        # table names allow letters and digits only; container names allow lowercase letters, digits and '-'
        return (prefix.replace("-", "") + base) if table else (prefix + base).lower()

    @property
    def own_blob_endpoint(self) -> str:
        """``https://acct.blob.core.windows.net`` or ``http://127.0.0.1:10000/devstoreaccount1`` (no trailing /)."""
        return self.blob_service.url.rstrip("/")

    # -- clients, created on first use ------------------------------------------------------------------------------
    def container(self, base: str) -> ContainerClient:
        name = self.name(base)
        client = self.blob_service.get_container_client(name)
        if "c:" + name not in self._ready:
            with self._lock:
                try:
                    client.create_container()
                except ResourceExistsError:
                    pass
                self._ready.add("c:" + name)
        return client

    def table(self, base: str) -> TableClient:
        name = self.name(base, table=True)
        if "t:" + name not in self._ready:
            with self._lock:
                try:
                    self.table_service.create_table(name)
                except ResourceExistsError:
                    pass
                self._ready.add("t:" + name)
        return self.table_service.get_table_client(name)

    # -- blobs ---------------------------------------------------------------------------------------------------
    def put_blob(self, container: str, name: str, data, metadata: dict | None = None) -> None:
        self.container(container).upload_blob(name, data, overwrite=True, metadata=metadata)

    def get_blob(self, container: str, name: str) -> bytes | None:
        try:
            return self.container(container).download_blob(name).readall()
        except ResourceNotFoundError:
            return None

    def download_blob_to(self, container: str, name: str, path) -> dict | None:
        """Stream a blob into a local file; returns its metadata, or None (and no file) when it does not exist."""
        try:
            downloader = self.container(container).download_blob(name)
        except ResourceNotFoundError:
            return None
        with open(path, "wb") as f:
            downloader.readinto(f)
        return dict(downloader.properties.metadata or {})

    def blob_exists(self, container: str, name: str) -> bool:
        return self.container(container).get_blob_client(name).exists()

    def delete_blob(self, container: str, name: str) -> None:
        try:
            self.container(container).delete_blob(name, delete_snapshots="include")
        except ResourceNotFoundError:
            pass

    def delete_prefix(self, container: str, prefix: str) -> None:
        client = self.container(container)
        for blob in client.list_blobs(name_starts_with=prefix):
            try:
                client.delete_blob(blob.name, delete_snapshots="include")
            except ResourceNotFoundError:
                pass

    # -- rows ----------------------------------------------------------------------------------------------------
    def get_row(self, table: str, partition: str, row_key: str) -> dict | None:
        try:
            return self.table(table).get_entity(partition, row_key)
        except ResourceNotFoundError:
            return None

    def create_row(self, table: str, entity: dict) -> None:
        self.table(table).create_entity(entity)

    def delete_row(self, table: str, partition: str, row_key: str) -> None:
        try:
            self.table(table).delete_entity(partition, row_key)
        except ResourceNotFoundError:
            pass

    def list_rows(self, table: str, partition: str, select: list[str] | None = None) -> list[dict]:
        query = "PartitionKey eq @pk"
        return list(self.table(table).query_entities(query, parameters={"pk": partition}, select=select))

    def update_row(self, table: str, partition: str, row_key: str, change: Callable[[dict], dict | None]) -> dict | None:
        """Read-modify-write a row, conditional on its ETag; a lost race re-reads and re-applies ``change``.

        ``change`` gets the current entity and returns the new one (or None to leave the row as it is). Returns the
        entity written (or read, when left as is), or None when the row does not exist (deleted meanwhile).
        """
        client = self.table(table)
        for _ in range(_UPDATE_ATTEMPTS):
            current = self.get_row(table, partition, row_key)
            if current is None:
                return None
            updated = change(dict(current))
            if updated is None:
                return current
            try:
                client.update_entity(updated, mode=UpdateMode.REPLACE, etag=current.metadata["etag"],
                                     match_condition=MatchConditions.IfNotModified)
                return updated
            except ResourceModifiedError:
                log.info("row %s/%s changed while updating it; retrying", table, row_key)
            except ResourceNotFoundError:
                return None
        raise RuntimeError(f"row {table}/{row_key} kept changing; gave up after {_UPDATE_ATTEMPTS} attempts")


@functools.lru_cache(maxsize=8)
def get_storage(settings: Settings) -> Storage:
    """One Storage (and its HTTP connection pools) per settings, shared by every invocation in the process."""
    return Storage(settings)
