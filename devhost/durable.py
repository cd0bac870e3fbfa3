"""The local Durable runtime: starts, queries and terminates orchestration instances and runs them on threads.

Trainings run one at a time (`MVAD_DEVHOST_MAX_TRAININGS`, default 1) so the CPU is not oversubscribed; other
orchestrations (batch detection) run in parallel (up to `MVAD_DEVHOST_MAX_ORCHESTRATIONS`, default 4).
"""
from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime, timedelta, timezone

from devhost.functions import AppFunctions
from devhost.instances import UNFINISHED, InstanceStore
from devhost.replay import Instance, ReplayRunner, Stopped, utc_now
from orchestrations.deadline import TIMEOUT_CODE

log = logging.getLogger("devhost.durable")

TASK_HUB = "OpenMvadLocal"
RPC_PATH = "/runtime/webhooks/durabletask/"
# How an expired orchestration's record is failed: the app's own fail activity, by the id its input carries.
_FAIL_ACTIVITIES = (("modelId", "fail_model"), ("resultId", "fail_result"))


class InstanceExists(Exception):
    pass


class DurableRuntime:
    def __init__(self, functions: AppFunctions, store: InstanceStore):
        self._functions = functions
        self._store = store
        self._runner = ReplayRunner(functions.orchestrators, functions.activities, self._save)
        self._lock = threading.RLock()
        self._stops: dict[str, threading.Event] = {}  # running instance id -> its stop signal
        self._shutdown = threading.Event()
        trainings = int(os.environ.get("MVAD_DEVHOST_MAX_TRAININGS", "1"))
        others = int(os.environ.get("MVAD_DEVHOST_MAX_ORCHESTRATIONS", "4"))
        self._slots = {name: threading.BoundedSemaphore(trainings if "train" in name else others)
                       for name in functions.orchestrators}

    # The operations behind the Durable client's HTTP API.
    def start_new(self, name: str, instance_id: str, input_json: str | None) -> Instance:
        if name not in self._functions.orchestrators:
            raise KeyError(f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function.")
        with self._lock:
            existing = self._store.get(instance_id)
            if existing is not None and existing.status in UNFINISHED:
                raise InstanceExists(f"An orchestration instance with the ID '{instance_id}' is already running.")
            now = utc_now()
            instance = Instance(instance_id, name, input_json, created=now, updated=now)
            self._store.save(instance)
        self._launch(instance)
        return instance

    def get(self, instance_id: str) -> Instance | None:
        return self._store.get(instance_id)

    def list(self) -> list[Instance]:
        return list(self._store.list())

    def terminate(self, instance_id: str, reason: str) -> str:
        """'terminated', 'not running' (already finished) or 'not found'."""
        with self._lock:
            instance = self._store.get(instance_id)
            if instance is None:
                return "not found"
            if instance.status not in UNFINISHED:
                return "not running"
            stop = self._stops.get(instance_id)
            if stop is not None:
                stop.set()
            instance.status, instance.output, instance.updated = "Terminated", reason, utc_now()
            self._store.save(instance)
        log.info("terminated %s %s: %s", instance.name, instance_id, reason)
        return "terminated"

    def purge(self, instance_id: str) -> bool:
        with self._lock:
            if instance_id in self._stops:
                return False
            return self._store.delete(instance_id)

    def client_binding(self, base_url: str) -> str:
        """The JSON the Durable extension passes for a `durable_client_input` binding, pointing at this host."""
        rpc = base_url.rstrip("/") + RPC_PATH
        instance = rpc + "instances/INSTANCEID"
        query = f"?taskHub={TASK_HUB}&connection=Storage"
        return json.dumps({
            "taskHubName": TASK_HUB,
            "creationUrls": {"createNewInstancePostUri": rpc + "orchestrators/{functionName}[/{instanceId}]" + query,
                             "createAndWaitOnNewInstancePostUri": rpc + "orchestrators/{functionName}[/{instanceId}]"
                             + query + "&timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}"},
            "managementUrls": {"id": "INSTANCEID", "statusQueryGetUri": instance + query,
                               "sendEventPostUri": instance + "/raiseEvent/{eventName}" + query,
                               "terminatePostUri": instance + "/terminate" + query + "&reason={text}",
                               "rewindPostUri": instance + "/rewind" + query + "&reason={text}",
                               "purgeHistoryDeleteUri": instance + query,
                               "restartPostUri": instance + "/restart" + query,
                               "suspendPostUri": instance + "/suspend" + query + "&reason={text}",
                               "resumePostUri": instance + "/resume" + query + "&reason={text}"},
            "rpcBaseUrl": rpc,
        })

    # Running instances.
    def resume_unfinished(self, timeout_minutes: float | None = None) -> int:
        """Relaunch the instances a previous run of the host left Pending or Running; returns how many.

        One created more than ``timeout_minutes`` ago is failed instead (its model or result too), so that a job
        that cannot finish does not stay RUNNING forever."""
        resumed = 0
        for instance in list(self._store.list(UNFINISHED)):
            if timeout_minutes is not None and _older_than(instance.created, timeout_minutes):
                self._expire(instance, timeout_minutes)
                continue
            log.info("resuming %s %s", instance.name, instance.instance_id)
            self._launch(instance)
            resumed += 1
        return resumed

    def _expire(self, instance: Instance, timeout_minutes: float) -> None:
        message = f"The operation did not finish within {timeout_minutes:g} minutes."
        payload = json.loads(instance.input or "null")
        payload = payload if isinstance(payload, dict) else {}
        for key, activity in _FAIL_ACTIVITIES:
            if key in payload and activity in self._functions.activities:
                function, parameter = self._functions.activities[activity]
                function(**{parameter: {key: payload[key], "code": TIMEOUT_CODE, "message": message}})
        instance.status, instance.output = "Failed", {"code": TIMEOUT_CODE, "message": message}
        instance.updated = utc_now()
        self._store.save(instance)
        log.warning("expired %s %s: %s", instance.name, instance.instance_id, message)

    def shutdown(self) -> None:
        """Stop between steps; unfinished instances stay Running in the table and resume on the next start."""
        self._shutdown.set()
        with self._lock:
            for stop in self._stops.values():
                stop.set()

    def _launch(self, instance: Instance) -> None:
        stop = threading.Event()
        with self._lock:
            self._stops[instance.instance_id] = stop
        # Daemon threads: stopping the host never waits for a training chunk to end.
        threading.Thread(target=self._run, args=(instance, stop), name=f"orchestration-{instance.instance_id}",
                         daemon=True).start()

    def _run(self, instance: Instance, stop: threading.Event) -> None:
        slot = self._slots[instance.name]
        try:
            while not slot.acquire(timeout=0.5):  # Pending until a slot frees
                if stop.is_set():
                    return
            try:
                if not stop.is_set():
                    self._runner.run(instance, stop)
                    log.info("%s %s: %s", instance.name, instance.instance_id, instance.status)
            finally:
                slot.release()
        except Stopped:
            pass
        except Exception as error:  # the host itself failed to run it: record that, never lose it silently
            log.exception("orchestration %s failed in the host", instance.instance_id)
            instance.status, instance.output = "Failed", f"{type(error).__name__}: {error}"
            try:
                self._save(instance)
            except Stopped:
                pass
        finally:
            with self._lock:
                self._stops.pop(instance.instance_id, None)

    def _save(self, instance: Instance) -> None:
        """Persist unless the instance was terminated or the host is stopping meanwhile."""
        with self._lock:
            stop = self._stops.get(instance.instance_id)
            if self._shutdown.is_set() or (stop is not None and stop.is_set()):
                raise Stopped(instance.instance_id)
            instance.updated = utc_now()
            self._store.save(instance)


def _older_than(created: str, minutes: float) -> bool:
    if not created:
        return False
    started = datetime.fromisoformat(created.replace("Z", "+00:00"))
    return datetime.now(timezone.utc) - started > timedelta(minutes=minutes)
