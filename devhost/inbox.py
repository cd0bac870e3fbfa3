"""The local host's stand-in for Event Grid blob triggers: it polls each blob trigger's container in Azurite and
calls the app's function for every blob version (name + ETag) it has not handed over yet, as the Functions host
does on a ``BlobCreated`` event. In this app that is ``inbox_blob_trigger`` on the ``inbox`` container.

The container carries the app's ``MVAD_CONTAINER_PREFIX`` (as every container of the app does). Polling runs every
``MVAD_DEVHOST_INBOX_POLL_SECONDS`` (2) on a daemon thread. A function that raises is called again on the next
polls, up to 5 times per blob version, as the Functions host retries a blob trigger before giving up. The app
itself makes sure a blob version is processed once, so a restarted host calling it again for every blob is harmless.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import os
import threading

from azure.core import MatchConditions
from azure.core.exceptions import ResourceNotFoundError
from azure.functions.blob import InputStream

from devhost.functions import BlobTrigger

log = logging.getLogger("devhost.inbox")

POLL_SECONDS = float(os.environ.get("MVAD_DEVHOST_INBOX_POLL_SECONDS", "2"))
MAX_ATTEMPTS = 5


class BlobTriggerPoller:
    def __init__(self, host, settings, interval: float = POLL_SECONDS):
        from service.storage import get_storage

        self._host = host  # devhost.server.LocalHost: its functions, event loop and Durable client binding
        self._storage = get_storage(settings)
        self._interval = interval
        self._attempts: dict[tuple[str, str, str], int] = {}  # (function, blob name, ETag) -> calls that failed
        self._done: set[tuple[str, str, str]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="blob-trigger-poller", daemon=True)

    def start(self) -> "BlobTriggerPoller":
        if self._host.functions.blob_triggers:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def poll_once(self) -> int:
        """Call the functions for the blob versions not handed over yet; returns how many calls succeeded."""
        called = 0
        for trigger in self._host.functions.blob_triggers:
            container, _, pattern = trigger.path.partition("/")
            client = self._storage.blob_service.get_container_client(self._storage.name(container))
            try:
                blobs = list(client.list_blobs(name_starts_with=pattern.split("{", 1)[0] or None,
                                               include=["metadata"]))
            except ResourceNotFoundError:  # nothing was ever uploaded
                continue
            for blob in blobs:
                if self._stop.is_set():
                    return called
                key = (trigger.name, blob.name, blob.etag)
                if key not in self._done:
                    called += self._call(trigger, client, blob, key)
        return called

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll_once()
            except Exception:  # Azurite restarting, say: try again at the next poll
                log.exception("polling the blob trigger containers failed")

    def _call(self, trigger: BlobTrigger, client, blob, key) -> int:
        try:
            downloader = client.download_blob(blob.name, etag=blob.etag, match_condition=MatchConditions.IfNotModified)
            data = downloader.readall()
        except Exception as error:  # deleted or replaced since listed: the new version is seen at the next poll
            log.info("blob %s/%s changed before it was read: %s", client.container_name, blob.name,
                     type(error).__name__)
            self._done.add(key)
            return 0
        stream = InputStream(data=data, name=f"{client.container_name}/{blob.name}", length=len(data),
                             uri=client.get_blob_client(blob.name).url, metadata=dict(blob.metadata or {}),
                             blob_properties={"ETag": blob.etag, "Length": len(data)})
        kwargs = {trigger.blob_param: stream}
        if trigger.client_param:
            kwargs[trigger.client_param] = self._host.runtime.client_binding(self._host.base_url)
        try:
            result = trigger.function(**kwargs)
            if inspect.isawaitable(result):
                asyncio.run_coroutine_threadsafe(_awaited(result), self._host.loop).result()
        except Exception:
            failures = self._attempts.get(key, 0) + 1
            self._attempts[key] = failures
            log.exception("%s failed for blob %s (attempt %d of %d)", trigger.name, blob.name, failures,
                          MAX_ATTEMPTS)
            if failures >= MAX_ATTEMPTS:
                log.error("%s: gave up on blob %s after %d attempts", trigger.name, blob.name, failures)
                self._done.add(key)
            return 0
        self._done.add(key)
        self._attempts.pop(key, None)
        return 1


async def _awaited(awaitable):
    return await awaitable
