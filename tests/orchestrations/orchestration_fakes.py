"""A stand-in for the Durable orchestration context (the Durable extension cannot run here), a clocked variant with
durable timers, and scripted Container Apps executions.

Each scheduled activity is answered at once by `respond(name, input)`; an exception it raises becomes a failed task,
as when Durable gives up retrying. The orchestrator is then driven by the SDK's own
`azure.durable_functions.testing.orchestrator_generator_wrapper`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from azure.durable_functions.testing import orchestrator_generator_wrapper


class FakeTask:
    """What the wrapper reads of a task: `.result`, which raises for a failed task (as replay throws it)."""

    def __init__(self, value: Any = None, error: Exception | None = None):
        self._value, self._error = value, error

    @property
    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


class FakeContext:
    def __init__(self, input_: dict, respond: Callable[[str, dict], Any]):
        self._input = input_
        self._respond = respond
        self.calls: list[tuple[str, dict]] = []
        self.retry_options: list[Any] = []
        self.custom_status: Any = None

    def get_input(self) -> dict:
        return self._input

    def set_custom_status(self, status: Any) -> None:
        self.custom_status = status

    def call_activity(self, name: str, input_: dict | None = None) -> FakeTask:
        self.calls.append((name, input_))
        try:
            return FakeTask(value=self._respond(name, input_))
        except Exception as error:  # the activity failed for good
            return FakeTask(error=error)

    def call_activity_with_retry(self, name: str, retry_options: Any, input_: dict | None = None) -> FakeTask:
        self.retry_options.append(retry_options)
        return self.call_activity(name, input_)


def run_orchestrator(orchestrator, context: FakeContext) -> Any:
    """Drive the orchestrator to its end; returns what it returned."""
    user_function = orchestrator._function._func.orchestrator_function
    *_, output = orchestrator_generator_wrapper(user_function(context))
    return output


def indexed_functions():
    """The training and detection blueprints as the local host indexes them (orchestrators and activities by name)."""
    import azure.durable_functions as df

    from devhost.functions import index_app
    from orchestrations import detection, training

    app = df.DFApp()
    app.register_functions(training.bp)
    app.register_functions(detection.bp)
    return index_app(app, prefix="api")


class RemoteJobs:
    """Fake activities backed by scripted executions: `scripts[activity]` lists, per start of that activity, the
    answers its checks get in turn (the last one repeats)."""

    def __init__(self, scripts: dict[str, list[list]], poll_seconds: int = 0):
        self.scripts, self.poll_seconds = scripts, poll_seconds
        self.calls: list[tuple[str, dict]] = []
        self.started: dict[str, int] = {}
        self.checks: dict[str, int] = {}

    def answer(self, activity: str, payload: dict):
        self.calls.append((activity, payload))
        if activity not in self.scripts:  # fail_model / fail_result run in the Function App
            return {"status": "FAILED"}
        execution = payload.get("execution")
        if execution is None:
            n = self.started[activity] = self.started.get(activity, 0) + 1
            name = f"{activity}-{n}"
            return {"pending": {"backend": "containerapps", "jobName": activity, "jobId": name, "execution": name,
                                "pollSeconds": self.poll_seconds}}
        answers = self.scripts[activity][int(execution["execution"].rsplit("-", 1)[1]) - 1]
        seen = self.checks[execution["execution"]] = self.checks.get(execution["execution"], 0) + 1
        answer = answers[min(seen, len(answers)) - 1]
        return answer(payload) if callable(answer) else answer


def still(payload):
    """A check while the execution still runs."""
    return {"pending": payload["execution"]}


class TimedContext(FakeContext):
    """FakeContext with a clock and durable timers: records how long each timer waits."""

    def __init__(self, input_, respond):
        super().__init__(input_, respond)
        self.current_utc_datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.waits: list[float] = []

    def create_timer(self, fire_at: datetime) -> FakeTask:
        self.waits.append((fire_at - self.current_utc_datetime).total_seconds())
        self.current_utc_datetime = fire_at
        return FakeTask(None)
