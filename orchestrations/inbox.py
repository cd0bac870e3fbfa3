"""Detection by file drop: a blob created in ``inbox/`` starts the batch-detection orchestration; its answer goes to
``outbox/`` (``service/inbox.py`` has the rules).

In Azure an Event Grid subscription on the storage account delivers ``BlobCreated`` events of the ``inbox``
container to ``inbox_blob_trigger`` (the name ``infra/`` subscribes); the local host polls the container and calls
the same function. ``detect_batch_orchestrator`` runs as for ``POST :detect-batch``; given an ``outbox`` in its input
it ends with the ``write_outbox`` activity below.
"""
from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func

from orchestrations.deadline import with_deadline
from orchestrations.retry import data_errors_as_result

log = logging.getLogger(__name__)

bp = df.Blueprint()
DETECT_ORCHESTRATOR = "detect_batch_orchestrator"


@bp.blob_trigger(arg_name="blob", path="inbox/{name}", connection="AzureWebJobsStorage",
                 source=func.BlobSource.EVENT_GRID)
@bp.durable_client_input(client_name="client")
async def inbox_blob_trigger(blob: func.InputStream, client) -> None:
    # ``blob.name`` is "inbox/{modelId}/{name}.csv"; the use case reads the blob itself (by name and ETag)
    _, _, name = (blob.name or "").partition("/")
    result_id = await start_inbox_detection(client, name)
    if result_id:
        log.info("inbox blob %s: detection %s started", name, result_id)


async def start_inbox_detection(client, blob_name: str) -> str | None:
    """Claim the blob, create its result and start its detection; the result id, or None when nothing started."""
    from service import inbox
    from service.settings import get_settings

    settings = get_settings()
    job = await asyncio.to_thread(inbox.accept_blob, blob_name, settings)
    if job is None:
        return None
    try:
        await client.start_new(DETECT_ORCHESTRATOR, job.result_id,
                               with_deadline(job.orchestration_input, settings.job_timeout_minutes))
    except Exception:
        await asyncio.to_thread(inbox.release, job, settings)  # the retry of this invocation takes the blob again
        raise
    return job.result_id


@bp.activity_trigger(input_name="payload")
def write_outbox(payload: dict) -> dict:
    from service import inbox

    return data_errors_as_result(lambda: inbox.write_outbox(payload["resultId"], payload["outbox"]))
