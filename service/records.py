"""Model and result records: their table rows and their API shape.

Lists and objects are stored as JSON text; long ones (variableStates of 300 variables) are split over several
properties because a Table string property holds at most 32K characters.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from service.storage import MODEL_PARTITION, RESULT_PARTITION

CREATED, RUNNING, READY, FAILED = "CREATED", "RUNNING", "READY", "FAILED"
_CHUNK = 30_000


def now() -> tuple[str, str]:
    """(API time with seconds, sortable time with microseconds), both UTC."""
    t = dt.datetime.now(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ"), t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def empty_model_state() -> dict:
    return {"epochIds": [], "trainLosses": [], "validationLosses": [], "latenciesInSeconds": []}


def put_json(entity: dict, name: str, value) -> None:
    text = json.dumps(value, separators=(",", ":"))
    for key in [k for k in entity if k.startswith(name + "_")]:
        del entity[key]
    parts = [text[i:i + _CHUNK] for i in range(0, len(text), _CHUNK)] or [""]
    entity[name + "_n"] = len(parts)
    for i, part in enumerate(parts):
        entity[f"{name}_{i}"] = part


def get_json(entity: dict, name: str, default):
    n = entity.get(name + "_n")
    if not n:
        return default
    return json.loads("".join(entity[f"{name}_{i}"] for i in range(int(n))))


@dataclass
class ModelRecord:
    model_id: str
    model_info: dict  # the training request, normalised: dataSource (no SAS) ... alignPolicy
    created_time: str
    last_updated_time: str
    updated_at: str  # sortable, microseconds
    status: str = CREATED
    errors: list = field(default_factory=list)
    model_state: dict = field(default_factory=empty_model_state)
    variable_states: list = field(default_factory=list)
    epochs: int = 100
    source_sas: str = ""  # the dataSource's SAS token; private, cleared once the data has been read
    etag: str = ""

    def to_entity(self) -> dict:
        entity = {
            "PartitionKey": MODEL_PARTITION, "RowKey": self.model_id, "status": self.status,
            "createdTime": self.created_time, "lastUpdatedTime": self.last_updated_time, "updatedAt": self.updated_at,
            "epochs": self.epochs, "sourceSas": self.source_sas,
        }
        put_json(entity, "modelInfo", self.model_info)
        put_json(entity, "errors", self.errors)
        put_json(entity, "modelState", self.model_state)
        put_json(entity, "variableStates", self.variable_states)
        return entity

    @classmethod
    def from_entity(cls, entity) -> "ModelRecord":
        return cls(
            model_id=entity["RowKey"], model_info=get_json(entity, "modelInfo", {}),
            created_time=entity["createdTime"], last_updated_time=entity["lastUpdatedTime"],
            updated_at=entity.get("updatedAt", entity["lastUpdatedTime"]), status=entity["status"],
            errors=get_json(entity, "errors", []), model_state=get_json(entity, "modelState", empty_model_state()),
            variable_states=get_json(entity, "variableStates", []), epochs=int(entity.get("epochs", 100)),
            source_sas=entity.get("sourceSas", ""), etag=getattr(entity, "metadata", {}).get("etag", ""),
        )

    def touch(self) -> None:
        self.last_updated_time, self.updated_at = now()

    def to_api(self) -> dict:
        """The API's ``AnomalyDetectionModel``."""
        info = dict(self.model_info)
        info.update(status=self.status, errors=self.errors,
                    diagnosticsInfo={"modelState": self.model_state, "variableStates": self.variable_states})
        return {"modelId": self.model_id, "createdTime": self.created_time,
                "lastUpdatedTime": self.last_updated_time, "modelInfo": info}


@dataclass
class ResultRecord:
    result_id: str
    model_id: str
    setup_info: dict  # dataSource (no SAS), topContributorCount, startTime, endTime
    created_time: str
    last_updated_time: str
    status: str = CREATED
    errors: list = field(default_factory=list)
    variable_states: list = field(default_factory=list)
    source_sas: str = ""
    etag: str = ""

    def to_entity(self) -> dict:
        entity = {
            "PartitionKey": RESULT_PARTITION, "RowKey": self.result_id, "modelId": self.model_id,
            "status": self.status, "createdTime": self.created_time, "lastUpdatedTime": self.last_updated_time,
            "sourceSas": self.source_sas,
        }
        put_json(entity, "setupInfo", self.setup_info)
        put_json(entity, "errors", self.errors)
        put_json(entity, "variableStates", self.variable_states)
        return entity

    @classmethod
    def from_entity(cls, entity) -> "ResultRecord":
        return cls(
            result_id=entity["RowKey"], model_id=entity["modelId"], setup_info=get_json(entity, "setupInfo", {}),
            created_time=entity["createdTime"], last_updated_time=entity["lastUpdatedTime"], status=entity["status"],
            errors=get_json(entity, "errors", []), variable_states=get_json(entity, "variableStates", []),
            source_sas=entity.get("sourceSas", ""), etag=getattr(entity, "metadata", {}).get("etag", ""),
        )

    def touch(self) -> None:
        self.last_updated_time, _ = now()

    def to_api(self, results: list) -> dict:
        """The API's ``MultivariateDetectionResult``."""
        summary = {"status": self.status, "errors": self.errors, "variableStates": self.variable_states,
                   "setupInfo": self.setup_info}
        return {"resultId": self.result_id, "summary": summary, "results": results}
