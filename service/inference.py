"""Synchronous detection (detect-last): the request's series, aligned like the training data, through the model."""
from __future__ import annotations

from service import validation
from service.models import load_ready_model
from service.settings import Settings


def detect_last(model_id: str, body, settings: Settings | None = None) -> dict:
    """The API's ``MultivariateLastDetectionResult`` for a READY model."""
    from mvad_engine import prepare_variables

    variables, top = validation.last_request(body)
    record, model = load_ready_model(model_id, settings)
    policy = record.model_info.get("alignPolicy", {})
    frame = prepare_variables(variables, align_mode=policy.get("alignMode", "Outer"),
                              fill_na_method=policy.get("fillNAMethod", "Linear"),
                              padding_value=policy.get("paddingValue"))
    return {"variableStates": frame.variable_states, "results": model.detect_last(frame, top_contributors=top)}
