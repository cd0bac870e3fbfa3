"""Logic Apps: the custom connector and the sample workflow, as the Bicep templates and the workflow definition
describe them, checked against the API's OpenAPI description (openapi/openapi.json) and the app's routes."""
from __future__ import annotations

import json
import re
from pathlib import Path

import azure.functions as func
import pytest

from api import routes
from bicep_model import (INFRA, ROOT, decorators, dotted, modules, one, parse, references, resources,
                         role_definition_guid)

OPENAPI = json.loads((ROOT / "openapi" / "openapi.json").read_text())
WORKFLOW_FILE = INFRA / "workflows" / "batch-detection-alert.json"
WORKFLOW = json.loads(WORKFLOW_FILE.read_text())
KEY_HEADER = OPENAPI["securityDefinitions"]["apiKeyHeader"]["name"]
KEY_VALUE = "@{body('Read_the_API_key')?['value']}"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
API = "@{parameters('apiEndpoint')}"
EXPRESSION = re.compile(r"@\{[^}]*\}")


def all_actions(actions: dict | None = None) -> dict[str, dict]:
    """Every action of the definition by name, inside loops and conditions too."""
    found = {}
    for name, action in (WORKFLOW["actions"] if actions is None else actions).items():
        found[name] = action
        found.update(all_actions(action.get("actions", {})))
        found.update(all_actions(action.get("else", {}).get("actions", {})))
    return found


def operation_for(method: str, path: str) -> str | None:
    """The operationId of the documented operation serving `path` (relative to basePath), or None."""
    for template, item in OPENAPI["paths"].items():
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template.lstrip("/"))) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return item[method.lower()]["operationId"]
    return None


def api_calls() -> dict[str, str]:
    """HTTP actions calling the API directly: action name -> operationId (None when undocumented)."""
    calls = {}
    for name, action in all_actions().items():
        inputs = action.get("inputs", {})
        if action["type"] == "Http" and inputs["uri"].startswith(API + "/"):
            path = EXPRESSION.sub("x", inputs["uri"][len(API) + 1:])
            calls[name] = operation_for(inputs["method"], path)
    return calls


def location_polls() -> dict[str, str]:
    """HTTP actions calling the Location an earlier API call answered with: action name -> that action's name."""
    polls = {}
    for name, action in all_actions().items():
        uri = action.get("inputs", {}).get("uri", "")
        found = re.fullmatch(r"@\{outputs\('(\w+)'\)\?\['headers'\]\?\['Location'\]\}", uri)
        if action["type"] == "Http" and found:
            polls[name] = found.group(1)
    return polls


def schema_of(ref_or_schema: dict) -> dict:
    while "$ref" in ref_or_schema:
        ref_or_schema = OPENAPI["definitions"][ref_or_schema["$ref"].rsplit("/", 1)[1]]
    return ref_or_schema


def resolve(schema: dict, names: list[str]) -> dict:
    """The schema reached by reading `names` from a value of `schema` (arrays are read by their items)."""
    schema = schema_of(schema)
    for name in names:
        if schema.get("type") == "array":
            schema = schema_of(schema["items"])
        assert name in schema.get("properties", {}), f"{name!r} is not a property of {schema.get('description')!r}"
        schema = schema_of(schema["properties"][name])
    return schema


def reads(text: str, source: str) -> list[list[str]]:
    """The property chains an expression reads from `source`, e.g. body('X')?['summary']?['status']."""
    chains = []
    for found in re.finditer(re.escape(source) + r"((?:\??\['[^']+'\])+)", text):
        chains.append(re.findall(r"\['([^']+)'\]", found.group(1)))
    return chains


# --- the workflow definition against the OpenAPI description and the app --------------------------------------------


def test_the_workflow_calls_only_documented_operations():
    assert api_calls() == {"Start_batch_detection": "Multivariate_DetectMultivariateBatchAnomaly"}
    (poll, started), = location_polls().items()
    assert started == "Start_batch_detection"
    # the Location the app answers with is the documented polling operation, which answers 202 while it runs
    request = func.HttpRequest("POST", "https://func.example/anomalydetector/v1.1/multivariate/models/m:detect-batch",
                               body=b"")
    location = routes._poll_headers(request, "3fa85f64-5717-4562-b3fc-2c963f66afa6")["Location"]
    path = location.split(OPENAPI["basePath"] + "/", 1)[1]
    operation = operation_for(all_actions()[poll]["inputs"]["method"], path)
    assert operation == "Multivariate_GetBatchDetectionStatus"
    detect = OPENAPI["paths"]["/multivariate/models/{modelId}:detect-batch"]["post"]
    assert {"Location", "Retry-After"} <= set(detect["responses"]["202"]["headers"])
    assert "202" in OPENAPI["paths"]["/multivariate/detect-batch/{resultId}/status"]["get"]["responses"]
    loop = WORKFLOW["actions"]["Wait_for_the_result"]
    assert loop["type"] == "Until" and poll in loop["actions"]
    assert loop["expression"] == f"@not(equals(outputs('{poll}')?['statusCode'], 202))"
    wait = loop["actions"]["Wait_Retry_After"]["inputs"]["interval"]["count"]
    assert "['Retry-After']" in wait and started in wait


def test_every_api_call_sends_the_key_from_key_vault_and_hides_it():
    read = WORKFLOW["actions"]["Read_the_API_key"]
    assert read["inputs"]["uri"].startswith("@{parameters('apiKeySecretUrl')}")
    assert read["inputs"]["authentication"] == {"type": "ManagedServiceIdentity", "audience": "https://vault.azure.net"}
    assert read["runtimeConfiguration"]["secureData"]["properties"] == ["outputs"]
    callers = list(api_calls()) + list(location_polls())
    for name in callers:
        action = all_actions()[name]
        assert action["inputs"]["headers"][KEY_HEADER] == KEY_VALUE, name
        assert "inputs" in action["runtimeConfiguration"]["secureData"]["properties"], f"{name} shows the key"
        # Logic Apps would follow Location itself without re-sending the key header: the workflow polls instead
        assert action["operationOptions"] == "DisableAsyncPattern", name
    text = json.dumps(WORKFLOW)
    assert text.count("body('Read_the_API_key')") == len(callers)


def test_the_detection_request_is_a_valid_batch_detection_body():
    body = WORKFLOW["actions"]["Start_batch_detection"]["inputs"]["body"]
    options = schema_of(OPENAPI["definitions"]["Multivariate.MultivariateBatchDetectionOptions"])
    assert set(options["required"]) <= set(body) <= set(options["properties"])


def test_the_workflow_reads_only_documented_result_fields():
    result = {"$ref": "#/definitions/Multivariate.MultivariateDetectionResult"}
    text = json.dumps(WORKFLOW)
    chains = reads(text, "body('Poll_the_detection')")
    assert ["summary", "status"] in chains and ["results"] in chains
    for chain in chains:
        resolve(result, chain)
    anomaly = OPENAPI["definitions"]["Multivariate.AnomalyState"]
    item_chains = reads(WORKFLOW["actions"]["Keep_severe_anomalies"]["inputs"]["where"], "item()")
    assert ["value", "isAnomaly"] in item_chains and ["value", "severity"] in item_chains
    for chain in item_chains:
        resolve(anomaly, chain)
    assert "FAILED" in schema_of(OPENAPI["definitions"]["Multivariate.MultivariateBatchDetectionStatus"])["enum"]


def test_severe_anomalies_go_to_the_webhook_parameter():
    keep = WORKFLOW["actions"]["Keep_severe_anomalies"]["inputs"]
    assert keep["from"] == "@body('Poll_the_detection')?['results']"
    assert "parameters('severityThreshold')" in keep["where"]
    post = WORKFLOW["actions"]["If_any_anomaly_is_severe"]["actions"]["Post_to_the_webhook"]["inputs"]
    assert (post["method"], post["uri"]) == ("POST", "@{parameters('alertWebhookUrl')}")
    assert post["body"]["anomalies"] == "@body('Keep_severe_anomalies')"
    assert WORKFLOW["parameters"]["alertWebhookUrl"]["type"] == "SecureString"
    assert WORKFLOW["parameters"]["severityThreshold"]["type"] == "Float"


# --- Bicep: the workflow module ---------------------------------------------------------------------------------------


def load_json_path(module: str, expr) -> Path:
    function = expr["function"]
    assert function["type"] == "load_json_content"
    return (INFRA / module).parent.joinpath(function["parameters"]["file_path"]).resolve()


def test_the_workflow_module_deploys_the_definition_with_all_its_parameters():
    template = parse("modules/logicapp-workflow.bicep")
    workflow = one(template, "Microsoft.Logic/workflows")
    assert load_json_path("modules/logicapp-workflow.bicep", workflow.properties["definition"]) == WORKFLOW_FILE
    passed = set(workflow.properties["parameters"])
    declared = WORKFLOW["parameters"]
    assert passed <= set(declared)
    assert {name for name, p in declared.items() if "defaultValue" not in p} <= passed
    assert "secure" in decorators(template["parameters"]["alertWebhookUrl"])
    assert workflow.properties["parameters"]["alertWebhookUrl"]["value"] == "alertWebhookUrl"
    assert workflow.body["identity"]["type"] == "SystemAssigned"
    url = workflow.properties["parameters"]["apiKeySecretUrl"]["value"]
    assert url == "${vault.properties.vaultUri}secrets/${apiKeySecretName}"


def test_the_workflow_may_read_the_api_key_secret_and_nothing_else():
    template = parse("modules/logicapp-workflow.bicep")
    (assignment,) = resources(template, "Microsoft.Authorization/roleAssignments")
    assert role_definition_guid(template, assignment) == KEY_VAULT_SECRETS_USER
    secret = [r for r in resources(template, existing=True) if r.symbol == assignment.body["scope"]]
    assert secret and secret[0].type == "Microsoft.KeyVault/vaults/secrets"
    assert secret[0].body["name"] == "apiKeySecretName"
    workflow = one(template, "Microsoft.Logic/workflows")
    assert dotted(assignment.properties["principalId"]) == f"{workflow.symbol}.identity.principalId"
    assert assignment.properties["principalType"] == "ServicePrincipal"


# --- Bicep: the connector and main.bicep ------------------------------------------------------------------------------


def test_the_connector_is_made_from_the_openapi_file_and_asks_for_the_key():
    template = parse("modules/connector.bicep")
    connector = one(template, "Microsoft.Web/customApis")
    swagger = connector.properties["swagger"]["function"]
    assert swagger["type"] == "union"
    source = template["variables"][swagger["parameters"]["arg_1"]]["value"]
    assert load_json_path("modules/connector.bicep", source) == ROOT / "openapi" / "openapi.json"
    assert swagger["parameters"]["arg_2"] == {"host": "apiHost"}
    assert connector.properties["backendService"]["serviceUrl"] == "https://${apiHost}${openApi.basePath}"
    assert connector.properties["connectionParameters"]["api_key"]["type"] == "securestring"
    assert connector.properties["apiType"] == "Rest"


def test_main_deploys_the_connector_and_the_workflow_on_request():
    main = parse("main.bicep")
    calls = modules(main)
    connector, workflow = calls["connector"], calls["alertWorkflow"]
    assert connector.condition == "deployConnector"
    assert {"deployConnector", "alertWebhookUrl"} <= references(workflow.condition)
    assert dotted(connector.body["params"]["apiHost"]) == "functionApp.outputs.defaultHostName"
    params = workflow.body["params"]
    assert dotted(params["apiEndpoint"]) == "functionApp.outputs.apiEndpoint"
    assert dotted(params["keyVaultName"]) == "keyVault.outputs.name"
    assert params["apiKeySecretName"] == "apiKeySecretName"
    assert (params["alertWebhookUrl"], params["severityThreshold"]) == ("alertWebhookUrl", "severityThreshold")
    declared = main["parameters"]
    assert declared["deployConnector"]["default"] is False
    assert "secure" in decorators(declared["alertWebhookUrl"])
    assert 0 <= float(declared["severityThreshold"]["default"]) <= 1


@pytest.mark.parametrize("name", ["deployConnector", "alertWebhookUrl", "severityThreshold", "alertModelId",
                                  "alertDataSource"])
def test_the_logic_apps_parameters_are_documented(name):
    assert f"`{name}`" in (INFRA / "README.md").read_text()
