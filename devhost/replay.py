"""Runs one orchestration instance with the Durable out-of-process protocol, as the Durable extension does.

Each episode calls the orchestrator function with the instance's history (a JSON context), reads the actions it
returns, runs the new ones (activities, timers), appends their events (TaskScheduled/TaskCompleted/TaskFailed,
TimerCreated/TimerFired) and replays. Activity retries follow the action's `retryOptions` with the event sequence
the SDK expects (failure -> retry timer -> rescheduled task), so `call_activity_with_retry` behaves as in Azure.

The history is saved (through `save`) only when an episode's actions have all finished: a host that stops in the
middle of an activity replays to the same point and runs that activity again (activities resume from checkpoints).
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from typing import Any, Callable

from azure.durable_functions.models.history.HistoryEventType import HistoryEventType as Event

log = logging.getLogger("devhost.durable")

_ERROR_LABEL = "\n\n$OutOfProcData$:"


class Action(IntEnum):  # azure.durable_functions.models.actions.ActionType
    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CREATE_TIMER = 5
    WHEN_ANY = 11
    WHEN_ALL = 12


@dataclass
class Instance:
    """An orchestration instance as the host keeps it (see devhost/instances.py for its table row)."""

    instance_id: str
    name: str
    input: str | None  # JSON text
    status: str = "Pending"  # Pending | Running | Completed | Failed | Terminated
    output: Any = None
    custom_status: Any = None
    created: str = ""
    updated: str = ""
    history: list[dict] = field(default_factory=list)
    actions_done: int = 0  # how many of the orchestrator's action groups have run


class Stopped(Exception):
    """The instance was terminated, or the host is stopping."""


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _event(kind: Event, event_id: int = -1, **fields: Any) -> dict:
    return {"EventType": int(kind), "EventId": event_id, "IsPlayed": False, "Timestamp": utc_now(), **fields}


class ReplayRunner:
    def __init__(self, orchestrators: dict[str, Callable[[str], str]],
                 activities: dict[str, tuple[Callable[..., Any], str]],
                 save: Callable[[Instance], None]):
        self._orchestrators = orchestrators
        self._activities = activities
        self._save = save

    def run(self, instance: Instance, stop: threading.Event) -> None:
        """Run (or resume) `instance` until it completes, fails, or `stop` is set (then raises Stopped)."""
        if instance.name not in self._orchestrators:
            raise KeyError(f"No orchestrator function named {instance.name!r}")
        if not instance.history:
            instance.history = [_event(Event.ORCHESTRATOR_STARTED),
                                _event(Event.EXECUTION_STARTED, Name=instance.name, Input=instance.input, Version="")]
        else:  # resuming: a fresh episode over the saved history
            instance.history.append(_event(Event.ORCHESTRATOR_STARTED))
        instance.status = "Running"
        self._save(instance)

        while True:
            state = self._replay(instance)
            if state.get("customStatus") != instance.custom_status:  # progress shows before the next step runs
                instance.custom_status = state.get("customStatus")
                self._save(instance)
            if state.get("error") is not None or state.get("isDone"):
                failed = state.get("error") is not None
                instance.status = "Failed" if failed else "Completed"
                instance.output = state.get("error") if failed else state.get("output")
                instance.history.append(_event(Event.ORCHESTRATOR_COMPLETED))
                instance.history.append(_event(Event.EXECUTION_FAILED if failed else Event.EXECUTION_COMPLETED,
                                               Result=json.dumps(instance.output)))
                self._save(instance)
                return
            groups = state["actions"][instance.actions_done:]
            if not groups:
                raise RuntimeError(f"Orchestration {instance.instance_id} waits for something the local host does "
                                   "not deliver (external events, sub-orchestrations, entities)")
            episode = self._run_groups(instance, groups, stop)
            # As in Durable's own history, the event that wakes the orchestrator opens the next episode, so its
            # clock (`current_utc_datetime`) reads the time that event came, not the time its step was scheduled.
            instance.history += episode[:-1] + [_event(Event.ORCHESTRATOR_COMPLETED),
                                                _event(Event.ORCHESTRATOR_STARTED), episode[-1]]
            instance.actions_done += len(groups)
            self._save(instance)

    # The replay: one call of the orchestrator function with the whole history.
    def _replay(self, instance: Instance) -> dict:
        last_start = max(i for i, e in enumerate(instance.history) if e["EventType"] == Event.ORCHESTRATOR_STARTED)
        history = [dict(e, IsPlayed=i < last_start) for i, e in enumerate(instance.history)]
        context = {"history": history, "instanceId": instance.instance_id, "isReplaying": False,
                   "parentInstanceId": None, "input": instance.input, "upperSchemaVersion": 0}
        try:
            return json.loads(self._orchestrators[instance.name](json.dumps(context)))
        except Exception as error:  # the orchestrator raised: its state travels after the label
            message, _, state = str(error).partition(_ERROR_LABEL)
            parsed = json.loads(state) if state else {}
            parsed["error"] = parsed.get("error") or message or type(error).__name__
            return parsed

    # Running the actions of one episode.
    def _run_groups(self, instance: Instance, groups: list[list[dict]], stop: threading.Event) -> list[dict]:
        next_id = sum(e["EventType"] in (Event.TASK_SCHEDULED, Event.TIMER_CREATED) for e in instance.history)
        actions = [action for group in groups for action in _flatten(group)]
        # Ids are given to a group's tasks when they are yielded, before any retry timer, as the SDK does.
        ids = list(range(next_id, next_id + len(actions)))
        counter = iter(range(next_id + len(actions), 1 << 62))
        events: list[dict] = []
        for task_id, action in zip(ids, actions):
            kind = action["actionType"]
            if kind == Action.CALL_ACTIVITY:
                events += self._call(action, task_id)
            elif kind == Action.CALL_ACTIVITY_WITH_RETRY:
                events += self._call_with_retry(action, task_id, counter, stop)
            elif kind == Action.CREATE_TIMER:
                fire_at = action["fireAt"]
                events.append(_event(Event.TIMER_CREATED, task_id, FireAt=fire_at))
                _sleep_until(fire_at, stop)
                events.append(_event(Event.TIMER_FIRED, TimerId=task_id, FireAt=fire_at))
            else:
                raise RuntimeError(f"The local host does not run Durable action type {kind} ({action})")
            if stop.is_set():
                raise Stopped(instance.instance_id)
        return events

    def _call(self, action: dict, task_id: int) -> list[dict]:
        name = action["functionName"]
        scheduled = _event(Event.TASK_SCHEDULED, task_id, Name=name, Input=action.get("input"))
        started = time.monotonic()
        try:
            result = self._invoke_activity(name, action.get("input"))
            log.info("activity %s(%s) took %.1f s", name, action.get("input"), time.monotonic() - started)
        except Exception as error:
            log.warning("activity %s failed after %.1f s: %s", name, time.monotonic() - started, error)
            return [scheduled, _event(Event.TASK_FAILED, TaskScheduledId=task_id, Reason=str(error) or type(error).__name__,
                                      Details=traceback.format_exc(limit=5))]
        return [scheduled, _event(Event.TASK_COMPLETED, TaskScheduledId=task_id, Result=json.dumps(result))]

    def _call_with_retry(self, action: dict, task_id: int, counter, stop: threading.Event) -> list[dict]:
        options = action["retryOptions"]
        attempts = int(options["maxNumberOfAttempts"])
        interval = options["firstRetryIntervalInMilliseconds"] / 1000
        events: list[dict] = []
        for attempt in range(1, attempts + 1):
            outcome = self._call(action, task_id)
            events += outcome
            if outcome[-1]["EventType"] == Event.TASK_COMPLETED:
                return events
            # A failed attempt is followed by a retry timer, also after the last one (the SDK waits for it).
            delay = min(interval * options.get("backoffCoefficient", 1) ** (attempt - 1),
                        options.get("maxRetryIntervalInMilliseconds", 6 * 86_400_000) / 1000)
            fire_at = (datetime.now(timezone.utc) + timedelta(seconds=delay if attempt < attempts else 0))
            timer_id = next(counter)
            events.append(_event(Event.TIMER_CREATED, timer_id, FireAt=fire_at.isoformat()))
            _sleep_until(fire_at.isoformat(), stop)
            if stop.is_set():
                raise Stopped()
            events.append(_event(Event.TIMER_FIRED, TimerId=timer_id, FireAt=fire_at.isoformat()))
            if attempt < attempts:
                task_id = next(counter)
        return events

    def _invoke_activity(self, name: str, input_json: str | None) -> Any:
        if name not in self._activities:
            raise KeyError(f"No activity function named {name!r}")
        function, parameter = self._activities[name]
        value = function(**{parameter: json.loads(input_json) if input_json is not None else None})
        if asyncio.iscoroutine(value):
            value = asyncio.run(value)
        return value


def _flatten(group: list[dict]) -> list[dict]:
    """The atomic actions of a yielded group (task_all / task_any nest their children)."""
    atomic = []
    for action in group:
        if action["actionType"] in (Action.WHEN_ALL, Action.WHEN_ANY):
            atomic += _flatten(action["compoundActions"])
        else:
            atomic.append(action)
    return atomic


def _sleep_until(fire_at: str, stop: threading.Event) -> None:
    due = datetime.fromisoformat(fire_at.replace("Z", "+00:00"))
    stop.wait(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()))
