"""Orchestration instances of the local host, kept in a Table so that a restarted host resumes unfinished ones."""
from __future__ import annotations

import json
import re
import zlib
from typing import Iterator

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableServiceClient, UpdateMode

from devhost.replay import Instance

_PARTITION = "instance"
UNFINISHED = ("Pending", "Running")


class InstanceStore:
    def __init__(self, connection_string: str, prefix: str = ""):
        # Table names are letters and digits only; the prefix isolates tests like the service's own tables.
        name = re.sub(r"[^A-Za-z0-9]", "", prefix) + "durableinstances"
        service = TableServiceClient.from_connection_string(connection_string)
        try:
            service.create_table(name)
        except ResourceExistsError:
            pass
        self._table = service.get_table_client(name)

    def save(self, instance: Instance) -> None:
        self._table.upsert_entity(_to_entity(instance), mode=UpdateMode.REPLACE)

    def get(self, instance_id: str) -> Instance | None:
        try:
            return _from_entity(self._table.get_entity(_PARTITION, instance_id))
        except ResourceNotFoundError:
            return None

    def delete(self, instance_id: str) -> bool:
        if self.get(instance_id) is None:
            return False
        self._table.delete_entity(_PARTITION, instance_id)
        return True

    def list(self, statuses: tuple[str, ...] | None = None) -> Iterator[Instance]:
        query = f"PartitionKey eq '{_PARTITION}'"
        if statuses:
            query += " and (" + " or ".join(f"RuntimeStatus eq '{s}'" for s in statuses) + ")"
        for entity in self._table.query_entities(query):
            yield _from_entity(entity)


def _to_entity(instance: Instance) -> dict:
    # The history is compressed: a Table property holds at most 64 KiB.
    return {
        "PartitionKey": _PARTITION, "RowKey": instance.instance_id, "Name": instance.name,
        "Input": instance.input, "RuntimeStatus": instance.status, "Output": json.dumps(instance.output),
        "CustomStatus": json.dumps(instance.custom_status), "CreatedTime": instance.created,
        "LastUpdatedTime": instance.updated, "ActionsDone": instance.actions_done,
        "History": zlib.compress(json.dumps(instance.history).encode()),
    }


def _from_entity(entity: dict) -> Instance:
    return Instance(
        instance_id=entity["RowKey"], name=entity["Name"], input=entity.get("Input"),
        status=entity["RuntimeStatus"], output=json.loads(entity.get("Output") or "null"),
        custom_status=json.loads(entity.get("CustomStatus") or "null"), created=entity.get("CreatedTime", ""),
        updated=entity.get("LastUpdatedTime", ""), actions_done=int(entity.get("ActionsDone", 0)),
        history=json.loads(zlib.decompress(bytes(entity["History"]))) if entity.get("History") else [],
    )
