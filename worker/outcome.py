"""Where a worker leaves the outcome of its job: the blob ``jobs/{jobId}.json`` of the ``models`` container.

The document is ``{"jobName": ..., "result": {...}}`` when the job ran (a data error is a result too:
``{"error": {"code", "message"}}``), or ``{"jobName": ..., "failure": "..."}`` when it failed transiently.
The Container Apps backend of the Function App reads the same blob (`orchestrations/containerapps.py`).
"""
from __future__ import annotations

import json

from service.storage import MODELS, Storage, job_outcome_blob


def write_outcome(storage: Storage, job_id: str, document: dict) -> None:
    storage.put_blob(MODELS, job_outcome_blob(job_id), json.dumps(document).encode())
