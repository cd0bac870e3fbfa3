"""function_app registers the HTTP API and both orchestrations, with the routes and methods of the contract."""
import json
from pathlib import Path

import function_app

ROOT = Path(function_app.__file__).parent


def test_the_app_registers_the_api_and_the_orchestrations():
    functions = {f.get_function_name(): f for f in function_app.app.get_functions()}
    http = {}
    for name, fn in functions.items():
        for b in fn.get_bindings():
            if b.type == "httpTrigger":
                http[name] = (b.route, sorted(str(getattr(m, "value", m)) for m in b.methods), str(getattr(b.auth_level, "value", b.auth_level)).lower())
    assert http == {
        "models_collection": ("multivariate/models", ["GET", "POST"], "anonymous"),
        "model_item": ("multivariate/models/{modelRef}", ["DELETE", "GET", "POST"], "anonymous"),
        "model_export": ("multivariate/models/{modelId}/export", ["GET"], "anonymous"),
        "batch_result": ("multivariate/detect-batch/{resultId}", ["GET"], "anonymous"),
    }
    assert {"train_model_orchestrator", "detect_batch_orchestrator"} <= set(functions)
    client_bindings = {name for name, fn in functions.items() if any(b.type == "durableClient" for b in fn.get_bindings())}
    assert client_bindings == {"models_collection", "model_item"}


def test_host_json_sets_the_api_route_prefix():
    host = json.loads((ROOT / "host.json").read_text())
    assert host["extensions"]["http"]["routePrefix"] == "anomalydetector/v1.1"
    example = json.loads((ROOT / "local.settings.json.example").read_text())["Values"]
    assert example["FUNCTIONS_WORKER_RUNTIME"] == "python" and example["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"
