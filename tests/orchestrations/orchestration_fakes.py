"""A stand-in for the Durable orchestration context (the Durable extension cannot run here).

Each scheduled activity is answered at once by `respond(name, input)`; an exception it raises becomes a failed task,
as when Durable gives up retrying. The orchestrator is then driven by the SDK's own
`azure.durable_functions.testing.orchestrator_generator_wrapper`.
"""
from __future__ import annotations

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
