"""The time limit of a job: an orchestration still unfinished at its deadline fails with `OperationTimeout`.

The deadline is fixed when the job starts (`with_deadline`, from `MVAD_JOB_TIMEOUT_MINUTES`) and travels in the
orchestration input, so the orchestrator reads it deterministically; `overdue` compares it with the orchestration's
replay-safe clock before each step and each check on a running execution. A step already running is not cut short:
the job ends at the next step boundary.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

TIMEOUT_CODE = "OperationTimeout"


def with_deadline(orchestration_input: dict, timeout_minutes: float, now: datetime | None = None) -> dict:
    """`orchestration_input` plus ``deadline``: now + `timeout_minutes`, ISO 8601 in UTC."""
    now = now or datetime.now(timezone.utc)
    return {**orchestration_input, "deadline": (now + timedelta(minutes=timeout_minutes)).isoformat()}


def overdue(context: Any, deadline: str | None) -> dict[str, Any] | None:
    """The `OperationTimeout` error once the orchestration's clock is past `deadline` (None: no limit), else None."""
    if not deadline:
        return None
    limit = datetime.fromisoformat(deadline.replace("Z", "+00:00"))
    if context.current_utc_datetime < limit:
        return None
    return {"error": {"code": TIMEOUT_CODE, "message": f"The operation did not finish by its deadline, {deadline}."}}
