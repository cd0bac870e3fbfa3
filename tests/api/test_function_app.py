"""function_app registers the HTTP API and both orchestrations, with the routes and methods of the contract."""
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _fresh_app():
    """function_app.py run anew: an app may be indexed once only (a second get_functions() reports duplicates)."""
    spec = importlib.util.spec_from_file_location("function_app_fresh", ROOT / "function_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def test_the_app_registers_the_api_and_the_orchestrations():
    functions = {f.get_function_name(): f for f in _fresh_app().get_functions()}
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
        "batch_status": ("multivariate/detect-batch/{resultId}/status", ["GET"], "anonymous"),
        "openapi_document": ("openapi.json", ["GET"], "anonymous"),
    }
    assert {"train_model_orchestrator", "detect_batch_orchestrator"} <= set(functions)
    client_bindings = {name for name, fn in functions.items() if any(b.type == "durableClient" for b in fn.get_bindings())}
    assert client_bindings == {"models_collection", "model_item", "inbox_blob_trigger"}
    timers = {name: b.schedule for name, fn in functions.items() for b in fn.get_bindings() if b.type == "timerTrigger"}
    assert timers == {"purge_expired_results": "0 0 3 * * *"}


def test_host_json_sets_the_api_route_prefix():
    host = json.loads((ROOT / "host.json").read_text())
    assert host["extensions"]["http"]["routePrefix"] == "anomalydetector/v1.1"
    example = json.loads((ROOT / "local.settings.json.example").read_text())["Values"]
    assert example["FUNCTIONS_WORKER_RUNTIME"] == "python" and example["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"
