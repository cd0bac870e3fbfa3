"""openapi/openapi.json: a valid OpenAPI 2.0 description of the API, served as is, every operation a real route."""
import copy
import fnmatch
import importlib.util
import json
import re
import uuid
from pathlib import Path

import pytest
from api_fixtures import assert_error, body_json
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

import function_app

ROOT = Path(function_app.__file__).resolve().parent
DOCUMENT = ROOT / "openapi" / "openapi.json"
OFFICIAL = ROOT / "spec" / "anomalydetector-v1.1-multivariate.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
# the operations the product adds to the seven of the v1.1 description
OWN_OPERATIONS = {
    "Multivariate_ExportMultivariateModel": ("get", "/multivariate/models/{modelId}/export"),
    "Multivariate_GetBatchDetectionStatus": ("get", "/multivariate/detect-batch/{resultId}/status"),
}


def operations(document: dict) -> dict[str, tuple[str, str]]:
    """operationId -> (method, path)."""
    return {op["operationId"]: (method, path) for path, item in document["paths"].items()
            for method, op in item.items() if method in METHODS}


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DOCUMENT.read_text())


def test_the_description_is_valid_openapi_2(document):
    assert document["swagger"] == "2.0"
    validate(document)
    broken = copy.deepcopy(document)  # the validator does check: a path parameter without its declaration fails
    broken["paths"]["/multivariate/models/{modelId}/export"]["get"]["parameters"] = []
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_it_has_the_official_operations_and_ours(document):
    official = operations(json.loads(OFFICIAL.read_text()))
    assert len(official) == 7
    assert operations(document) == {**official, **OWN_OPERATIONS}


def test_base_path_is_the_hosts_route_prefix_and_the_key_is_required_everywhere(document):
    host = json.loads((ROOT / "host.json").read_text())
    assert document["basePath"] == "/" + host["extensions"]["http"]["routePrefix"]
    (scheme,) = document["securityDefinitions"].values()
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Ocp-Apim-Subscription-Key"}
    assert document["security"] == [{name: []} for name in document["securityDefinitions"]]
    for op in operations(document):
        method, path = operations(document)[op]
        assert "security" not in document["paths"][path][method], f"{op} overrides the key requirement"


def test_batch_detection_is_a_long_running_operation_polled_at_location(document):
    detect = document["paths"]["/multivariate/models/{modelId}:detect-batch"]["post"]
    assert detect["x-ms-long-running-operation"] is True
    assert {"Location", "Retry-After", "Operation-Location"} <= set(detect["responses"]["202"]["headers"])
    status = document["paths"]["/multivariate/detect-batch/{resultId}/status"]["get"]["responses"]
    assert {"200", "202"} <= set(status) and {"Location", "Retry-After"} <= set(status["202"]["headers"])


def _fresh_app():
    """function_app.py run again: an app may be indexed once only (a second get_functions() reports duplicates)."""
    spec = importlib.util.spec_from_file_location("function_app_for_openapi", ROOT / "function_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def _app_routes() -> list[tuple[re.Pattern, set[str], str]]:
    routes = []
    for fn in _fresh_app().get_functions():
        for binding in fn.get_bindings():
            if binding.type == "httpTrigger":
                pattern = re.sub(r"\{(\w+)\}", r"[^/]+", binding.route)
                methods = {str(getattr(m, "value", m)).lower() for m in binding.methods}
                routes.append((re.compile(f"^{pattern}$"), methods, binding.route))
    return routes


def _concrete(path: str) -> str:
    """A documented path with its parameters filled in, relative to basePath."""
    return re.sub(r"\{\w+\}", str(uuid.uuid4()), path).lstrip("/")


def test_every_documented_operation_is_a_route_of_the_app_and_every_route_is_documented(document):
    routes = _app_routes()
    documented = operations(document)
    for op, (method, path) in documented.items():
        served = [template for pattern, methods, template in routes
                  if pattern.match(_concrete(path)) and method in methods]
        assert served, f"{op} ({method.upper()} {path}) is served by no function of the app"
    for pattern, methods, template in routes:
        if template == "openapi.json":  # the description itself
            continue
        for method in methods:
            assert any(m == method and pattern.match(_concrete(p)) for m, p in documented.values()), \
                f"{method.upper()} {template} is not in the description"


def test_every_documented_operation_reaches_its_handler(app, document):
    """Unknown ids get the operation's own answer (not the generic NotFound of an unknown action)."""
    for op, (method, path) in operations(document).items():
        body = {} if method == "post" else None
        response = app.call(method.upper(), _concrete(path), body)
        assert response.status_code != 405, op
        if response.status_code >= 400:
            assert body_json(response)["code"] != "NotFound", f"{op}: {body_json(response)}"


def test_the_served_description_is_the_file_and_needs_a_key(app):
    response = app.call("GET", "openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_body() == DOCUMENT.read_bytes()
    assert_error(app.call("GET", "openapi.json", key=None), 401, "Unauthorized")
    assert_error(app.call("GET", "openapi.json", key="wrong"), 401, "Unauthorized")


def test_the_description_is_deployed_with_the_app():
    """The route reads the file at run time: no pattern of .funcignore may leave it out of the app's package."""
    patterns = [line.strip().rstrip("/") for line in (ROOT / ".funcignore").read_text().splitlines() if line.strip()]
    for candidate in ("openapi", "openapi/openapi.json"):
        assert not any(fnmatch.fnmatch(candidate, pattern) for pattern in patterns), candidate
