"""The Azure deployment as the parsed Bicep templates describe it: what `azd up` would create, and how it is wired.

No Bicep compiler runs here, so these tests also do the compiler's wiring checks that matter most: every module
call passes parameters the module declares (and all it requires), and every `<module>.outputs.<name>` exists.
"""
from __future__ import annotations

import json
import re

import pytest
import yaml

from bicep_model import (
    INFRA,
    MAIN,
    ROOT,
    app_settings,
    bicep_files,
    decorators,
    dotted,
    module_path,
    modules,
    one,
    parse,
    references,
    resources,
    role_definition_guid,
    value_of,
    variable,
)

# Azure built-in role ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
ROLES = {
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Container Apps Jobs Operator": "b9a307c4-5aa3-4b52-ba60-2b17c136cd7b",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
ROLE_NAMES = {guid: name for name, guid in ROLES.items()}

ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"
GPU_PROFILES = ["Consumption-GPU-NC8as-T4", "Consumption-GPU-NC24-A100"]


def main():
    return parse(MAIN)


def module_call(symbol: str):
    return modules(main())[symbol]


def module_template(symbol: str):
    return parse(module_path(module_call(symbol)))


def param_in_main(symbol: str, param: str):
    """The expression main.bicep passes to a module parameter."""
    return module_call(symbol).body["params"][param]


# --- every file parses, and main.bicep wires its modules the way the compiler would accept --------------------------


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses(path):
    template = parse(str(path.relative_to(INFRA)))
    assert template.get("resources") or template.get("outputs"), f"{path} declares nothing"


def test_main_is_a_subscription_deployment_creating_the_resource_group():
    assert main()["globals"]["scope"]["value"] == "subscription"
    group = one(main(), "Microsoft.Resources/resourceGroups")
    assert references(group.body["name"]) & {"names.resourceGroup"}
    assert variable(main(), "names")["resourceGroup"] == "rg-${environmentName}"
    assert all(m.body["scope"] == group.symbol for m in modules(main()).values())


def test_every_module_file_is_used():
    used = {module_path(m) for m in modules(main()).values()}
    hooks = (INFRA / "hooks" / "postdeploy.sh").read_text() + (INFRA / "hooks" / "postdeploy.ps1").read_text()
    for path in bicep_files():
        relative = str(path.relative_to(INFRA))
        if relative == MAIN:
            continue
        assert relative in used or path.name in hooks, f"{relative} is neither a module of main.bicep nor deployed by a hook"


@pytest.mark.parametrize("symbol", sorted(parse(MAIN)["modules"]))
def test_module_call_passes_declared_and_required_parameters(symbol):
    call = module_call(symbol)
    declared = module_template(symbol)["parameters"]
    passed = set(call.body["params"])
    assert passed <= set(declared), f"{symbol}: unknown parameters {passed - set(declared)}"
    required = {name for name, p in declared.items() if p["default"] is None}
    assert required <= passed, f"{symbol}: missing parameters {required - passed}"


def test_every_module_output_used_in_main_exists():
    calls = modules(main())
    used = set()
    for node in (main()["modules"], main()["outputs"]):
        used |= {ref for ref in references(node) if ".outputs." in ref}
    assert used, "main.bicep reads no module output"
    for ref in used:
        symbol, _, output = ref.split(".", 2)
        assert symbol in calls, f"{ref}: no module {symbol}"
        assert output in module_template(symbol).get("outputs", {}), f"{ref}: {module_path(calls[symbol])} has no output {output}"


def test_parameters_file_sets_only_declared_parameters_and_every_required_one():
    declared = main()["parameters"]
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(given) <= set(declared), set(given) - set(declared)
    required = {name for name, p in declared.items() if p["default"] is None}
    assert required <= set(given), required - set(given)
    assert given["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert given["location"]["value"] == "${AZURE_LOCATION}"
    assert given["principalId"]["value"] == "${AZURE_PRINCIPAL_ID}"


# --- storage -------------------------------------------------------------------------------------------------------


def test_storage_account_allows_no_shared_key_no_public_blobs_and_https_tls12_only():
    account = one(module_template("storage"), "Microsoft.Storage/storageAccounts")
    props = account.properties
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["minimumTlsVersion"] == "TLS1_2"


def test_blob_containers_and_tables_are_the_services():
    storage = module_template("storage")
    containers = one(storage, "Microsoft.Storage/storageAccounts/blobServices/containers")
    tables = one(storage, "Microsoft.Storage/storageAccounts/tableServices/tables")
    assert containers.loop["array_name"] == "containerNames" and containers.body["name"] == containers.loop["item_name"]
    assert containers.properties["publicAccess"] == "None"
    assert tables.loop["array_name"] == "tableNames" and tables.body["name"] == tables.loop["item_name"]

    container_names = value_of(main(), param_in_main("storage", "containerNames"))
    assert {"models", "results", "inbox", "outbox"} <= set(container_names)
    # The Flex Consumption deployment package container is one of them, and the app deploys from it.
    assert param_in_main("functionApp", "deploymentContainerName") in container_names
    assert sorted(value_of(main(), param_in_main("storage", "tableNames"))) == ["models", "results"]


def test_lifecycle_rule_deletes_results_after_the_retention_parameter():
    storage = module_template("storage")
    policy = one(storage, "Microsoft.Storage/storageAccounts/managementPolicies")
    assert policy.body["name"] == "default"
    (rule,) = policy.properties["policy"]["rules"]
    assert rule["enabled"] is True
    assert rule["definition"]["filters"]["prefixMatch"] == ["results/"]
    assert rule["definition"]["actions"]["baseBlob"]["delete"]["daysAfterModificationGreaterThan"] == "resultRetentionDays"
    assert param_in_main("storage", "resultRetentionDays") == "resultRetentionDays"
    retention = main()["parameters"]["resultRetentionDays"]
    assert retention["type"] == "int" and retention["default"] == 7


# --- identity and least privilege -----------------------------------------------------------------------------------


def role_assignments():
    """(module symbol, assignment, role name, scope symbol, principal parameter) for every role assignment."""
    found = []
    for symbol, call in modules(main()).items():
        template = parse(module_path(call))
        for assignment in resources(template, ROLE_ASSIGNMENT):
            guid = role_definition_guid(template, assignment)
            found.append((symbol, assignment, ROLE_NAMES.get(guid, guid), assignment.body.get("scope"), assignment.properties["principalId"]))
    return found


def test_identity_is_user_assigned_and_shared_by_app_and_job():
    one(module_template("identity"), "Microsoft.ManagedIdentity/userAssignedIdentities")
    for symbol in ("functionApp", "workerJob"):
        assert dotted(param_in_main(symbol, "identityId")) == "identity.outputs.id"
        assert dotted(param_in_main(symbol, "identityClientId")) == "identity.outputs.clientId"


def test_identity_gets_exactly_the_least_privilege_roles_each_on_its_resource():
    granted = set()
    for symbol, assignment, role, scope, principal in role_assignments():
        if principal != "identityPrincipalId":
            continue
        assert dotted(param_in_main(symbol, "identityPrincipalId")) == "identity.outputs.principalId"
        assert assignment.properties["principalType"] == "ServicePrincipal"
        template = module_template(symbol)
        scoped = [r for r in resources(template) + resources(template, existing=True) if r.symbol == scope]
        assert scoped, f"{assignment} in {symbol} is not scoped to a resource (resource group or wider scope)"
        granted.add((role, scoped[0].type))
        # Deterministic names: guid(<scope>.id, <principal>, <role id>), so re-provisioning never duplicates.
        name = assignment.body["name"]["function"]
        assert name["type"] == "guid"
        assert references(name) >= {f"{scope}.id", "identityPrincipalId"}
    assert granted == {
        ("Storage Blob Data Owner", "Microsoft.Storage/storageAccounts"),
        ("Storage Table Data Contributor", "Microsoft.Storage/storageAccounts"),
        ("Storage Queue Data Contributor", "Microsoft.Storage/storageAccounts"),
        ("Container Apps Jobs Operator", "Microsoft.App/jobs"),
        ("AcrPull", "Microsoft.ContainerRegistry/registries"),
        ("Key Vault Secrets User", "Microsoft.KeyVault/vaults"),
        ("Monitoring Metrics Publisher", "Microsoft.Insights/components"),
    }


def test_deployer_grants_are_conditional_and_read_only_on_keys():
    deployer = [(symbol, a, role) for symbol, a, role, _, principal in role_assignments() if principal == "deployerPrincipalId"]
    assert {role for _, _, role in deployer} == {"Key Vault Secrets User", "Storage Blob Data Contributor"}
    for symbol, assignment, _ in deployer:
        assert assignment.condition is not None, f"{assignment} must be skipped when no principalId is given"
        assert param_in_main(symbol, "deployerPrincipalId") == "principalId"


# --- Function App ---------------------------------------------------------------------------------------------------


def test_function_app_runs_python_311_on_flex_consumption_with_identity_based_deployment():
    template = module_template("functionApp")
    plan = one(template, "Microsoft.Web/serverfarms")
    assert plan.body["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    site = one(template, "Microsoft.Web/sites")
    assert site.body["kind"] == "functionapp,linux"
    assert dotted(site.properties["serverFarmId"]) == f"{plan.symbol}.id"
    assert site.properties["httpsOnly"] is True
    config = site.properties["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {"type": "UserAssignedIdentity", "userAssignedIdentityResourceId": "identityId"}
    assert {"maximumInstanceCount", "instanceMemoryMB"} <= set(config["scaleAndConcurrency"])
    assert site.body["identity"]["type"] == "UserAssigned"
    assert site.properties["keyVaultReferenceIdentity"] == "identityId"
    assert references(site.body["tags"]) >= {"tags"} and "api" in json.dumps(site.body["tags"])


def test_function_app_settings_are_identity_based_and_hold_no_secret():
    settings = app_settings(one(module_template("functionApp"), "Microsoft.Web/sites"))
    assert settings["AzureWebJobsStorage__accountName"] == "storageAccountName"
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert "AzureWebJobsStorage" not in settings, "a storage connection string would need the account key"
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    text = json.dumps(settings)
    for secret_marker in ("AccountKey=", "SharedAccessSignature", "listKeys", "list_keys", "InstrumentationKey="):
        assert secret_marker not in text
    for name, value in settings.items():
        assert "apiKey" not in str(value) or value.startswith("@Microsoft.KeyVault("), f"{name} carries a key"


def test_service_settings_name_the_storage_the_job_and_the_limits():
    settings = app_settings(one(module_template("functionApp"), "Microsoft.Web/sites"))
    assert settings["MVAD_COMPUTE_BACKEND"] == "containerapps"
    assert settings["MVAD_STORAGE_ACCOUNT_URL"] == "storageBlobEndpoint"
    assert settings["MVAD_TABLE_ACCOUNT_URL"] == "storageTableEndpoint"
    assert settings["MVAD_CONTAINER_APPS_JOB_NAME"] == "workerJobName"
    assert '"resource_group"' in json.dumps(settings["MVAD_CONTAINER_APPS_RESOURCE_GROUP"])
    assert '"subscription"' in json.dumps(settings["MVAD_SUBSCRIPTION_ID"])
    assert "maxModels" in json.dumps(settings["MVAD_MAX_MODELS"])
    assert dotted(param_in_main("functionApp", "storageBlobEndpoint")) == "storage.outputs.blobEndpoint"
    assert dotted(param_in_main("functionApp", "storageTableEndpoint")) == "storage.outputs.tableEndpoint"
    assert dotted(param_in_main("functionApp", "workerJobName")) == "workerJob.outputs.name"


@pytest.mark.parametrize(
    "setting, param, secret_var",
    [("MVAD_API_KEY", "apiKeySecretUri", "apiKeySecretName"), ("MVAD_API_KEY_SECONDARY", "apiKeySecondarySecretUri", "apiKeySecondarySecretName")],
)
def test_api_keys_are_key_vault_references_to_the_generated_secrets(setting, param, secret_var):
    settings = app_settings(one(module_template("functionApp"), "Microsoft.Web/sites"))
    assert settings[setting] == f"@Microsoft.KeyVault(SecretUri=${{{param}}})"
    assert dotted(param_in_main("functionApp", param)) == f"keyVault.outputs.{param}"
    vault_template = module_template("keyVault")
    secret_symbol = dotted(vault_template["outputs"][param]["value"]).split(".")[0]
    secret = [r for r in resources(vault_template, "Microsoft.KeyVault/vaults/secrets") if r.symbol == secret_symbol]
    assert secret and dotted(vault_template["outputs"][param]["value"]).endswith("properties.secretUri")
    (secret,) = secret
    secret_name_param = secret.body["name"]
    value_param = secret.properties["value"]
    assert "secure" in decorators(vault_template["parameters"][value_param])
    assert param_in_main("keyVault", secret_name_param) == secret_var
    assert variable(main(), secret_var) in ("mvad-api-key", "mvad-api-key-secondary")
    # The key itself comes from a secure main.bicep parameter generated at deployment.
    main_param = param_in_main("keyVault", value_param)
    declaration = main()["parameters"][main_param]
    assert "secure" in decorators(declaration)
    assert declaration["default"] == {"function": {"type": "new_guid"}}
    # azd passes the stored key back on re-provisioning, so the keys do not change on every `azd provision`.
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"][main_param]["value"]
    assert given == f"$(secretOrRandomPassword ${{AZURE_KEY_VAULT_NAME}} {variable(main(), secret_var)})"


def test_key_vault_uses_rbac():
    vault = one(module_template("keyVault"), "Microsoft.KeyVault/vaults")
    assert vault.properties["enableRbacAuthorization"] is True
    assert vault.properties["enableSoftDelete"] is True


def test_app_insights_is_workspace_based_with_entra_id_auth():
    template = module_template("monitoring")
    workspace = one(template, "Microsoft.OperationalInsights/workspaces")
    insights = one(template, "Microsoft.Insights/components")
    assert dotted(insights.properties["WorkspaceResourceId"]) == f"{workspace.symbol}.id"
    assert insights.properties["DisableLocalAuth"] is True
    settings = app_settings(one(module_template("functionApp"), "Microsoft.Web/sites"))
    assert settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] == "appInsightsConnectionString"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "ClientId=${identityClientId};Authorization=AAD"
    assert dotted(param_in_main("functionApp", "appInsightsConnectionString")) == "monitoring.outputs.appInsightsConnectionString"


# --- GPU worker -----------------------------------------------------------------------------------------------------


def test_registry_has_no_admin_user():
    registry = one(module_template("registry"), "Microsoft.ContainerRegistry/registries")
    assert registry.properties["adminUserEnabled"] is False


def test_environment_has_the_serverless_gpu_profile_of_the_parameter():
    environment = one(module_template("containerEnvironment"), "Microsoft.App/managedEnvironments")
    profiles = {p["name"]: p["workloadProfileType"] for p in environment.properties["workloadProfiles"]}
    assert profiles.get("Consumption") == "Consumption"
    gpu = [name for name, kind in profiles.items() if kind == "gpuProfile"]
    assert gpu, f"no workload profile of type gpuProfile in {profiles}"
    gpu_param = main()["parameters"]["gpuProfile"]
    assert gpu_param["default"] == "Consumption-GPU-NC8as-T4"
    assert decorators(gpu_param)["allowed"] == GPU_PROFILES
    assert param_in_main("containerEnvironment", "gpuProfile") == "gpuProfile"


def test_worker_is_a_manual_job_on_the_gpu_profile_pulling_with_the_identity():
    template = module_template("workerJob")
    job = one(template, "Microsoft.App/jobs")
    config = job.properties["configuration"]
    assert config["triggerType"] == "Manual"
    assert config["replicaTimeout"] == "replicaTimeoutSeconds"
    assert config["replicaRetryLimit"] == "retryLimit"
    assert config["registries"] == [{"server": "registryServer", "identity": "identityId"}]
    assert job.body["identity"]["type"] == "UserAssigned"
    assert job.properties["workloadProfileName"] == "workloadProfileName"
    assert dotted(param_in_main("workerJob", "workloadProfileName")) == "containerEnvironment.outputs.gpuWorkloadProfileName"
    assert dotted(param_in_main("workerJob", "registryServer")) == "registry.outputs.loginServer"
    assert param_in_main("workerJob", "image") == "workerImage"
    assert "worker" in json.dumps(job.body["tags"]), "azd finds the job by its azd-service-name tag"
    (container,) = job.properties["template"]["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["MVAD_STORAGE_ACCOUNT_URL"] == "storageBlobEndpoint"
    assert env["MVAD_TABLE_ACCOUNT_URL"] == "storageTableEndpoint"
    assert env["AZURE_CLIENT_ID"] == "identityClientId"
    # Every allowed GPU profile has its CPU/memory size, picked by the parameter.
    sizes = variable(template, "resourcesByProfile")
    assert sorted(k.strip("'") for k in sizes) == sorted(GPU_PROFILES)
    assert "gpuProfile" in references(container["resources"])


def test_worker_image_placeholder_is_replaced_by_the_azd_built_image():
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]["workerImage"]["value"]
    default = main()["parameters"]["workerImage"]["default"]
    assert given == "${SERVICE_WORKER_IMAGE_NAME=" + default + "}"


# --- detection by file drop -----------------------------------------------------------------------------------------


def test_storage_events_topic_is_the_storage_accounts():
    topic = one(module_template("storageEvents"), "Microsoft.EventGrid/systemTopics")
    assert topic.properties["topicType"] == "Microsoft.Storage.StorageAccounts"
    assert dotted(topic.properties["source"]).endswith(".id")
    assert dotted(param_in_main("storageEvents", "storageAccountName")) == "storage.outputs.name"


def test_inbox_subscription_delivers_blob_created_in_inbox_to_the_blob_trigger_webhook():
    template = parse("modules/inbox-subscription.bicep")
    subscription = one(template, "Microsoft.EventGrid/systemTopics/eventSubscriptions")
    assert subscription.properties["filter"]["includedEventTypes"] == ["Microsoft.Storage.BlobCreated"]
    assert subscription.properties["filter"]["subjectBeginsWith"] == "/blobServices/default/containers/inbox/"
    destination = subscription.properties["destination"]
    assert destination["endpointType"] == "WebHook"
    url = value_of(template, destination["properties"]["endpointUrl"])
    assert re.fullmatch(
        r"https://\$\{functionApp\.properties\.defaultHostName\}/runtime/webhooks/blobs"
        r"\?functionName=Host\.Functions\.\$\{functionName\}&code=\$\{blobsExtensionKey\}",
        url,
    ), url
    key = json.dumps(variable(template, "blobsExtensionKey"))
    assert "host/default" in key and "blobs_extension" in key and "systemKeys" in key
    # The function name the hook passes by default is the one main.bicep publishes.
    assert template["parameters"]["functionName"]["default"] == variable(main(), "inboxFunctionName") == "inbox_blob_trigger"


# --- outputs, azd ---------------------------------------------------------------------------------------------------


def test_outputs_give_the_endpoint_the_vault_and_secret_names_storage_and_job():
    outputs = main()["outputs"]
    assert dotted(outputs["MVAD_API_ENDPOINT"]["value"]) == "functionApp.outputs.apiEndpoint"
    endpoint = module_template("functionApp")["outputs"]["apiEndpoint"]["value"]
    assert re.fullmatch(r"https://\$\{\w+\.properties\.defaultHostName\}/anomalydetector/v1\.1", endpoint), endpoint
    assert dotted(outputs["AZURE_KEY_VAULT_NAME"]["value"]) == "keyVault.outputs.name"
    assert variable(main(), outputs["MVAD_API_KEY_SECRET_NAME"]["value"]) == "mvad-api-key"
    assert variable(main(), outputs["MVAD_API_KEY_SECONDARY_SECRET_NAME"]["value"]) == "mvad-api-key-secondary"
    assert dotted(outputs["MVAD_STORAGE_ACCOUNT_NAME"]["value"]) == "storage.outputs.name"
    assert dotted(outputs["MVAD_WORKER_JOB_NAME"]["value"]) == "workerJob.outputs.name"
    assert dotted(outputs["AZURE_CONTAINER_REGISTRY_ENDPOINT"]["value"]) == "registry.outputs.loginServer"


def test_postdeploy_hooks_read_only_outputs_that_main_publishes():
    outputs = set(main()["outputs"])
    for hook in ("postdeploy.sh", "postdeploy.ps1"):
        text = (INFRA / "hooks" / hook).read_text()
        used = set(re.findall(r"\b(MVAD_[A-Z_]+|AZURE_RESOURCE_GROUP)\b", text)) - {"MVAD_HOOK_ATTEMPTS"}
        assert used and used <= outputs, f"{hook} reads {used - outputs}, which main.bicep does not output"
        assert "inbox-subscription.bicep" in text, f"{hook} does not deploy the inbox subscription module"


def test_azure_yaml_deploys_the_function_app_and_the_worker_job():
    project = yaml.safe_load((ROOT / "azure.yaml").read_text())
    assert project["infra"]["path"] == "infra" and project["infra"]["module"] == "main"
    api, worker = project["services"]["api"], project["services"]["worker"]
    assert (api["project"], api["language"], api["host"]) == (".", "python", "function")
    assert worker["host"] == "containerapp"
    dockerfile = (ROOT / worker["project"] / worker["docker"]["path"]).resolve()
    assert dockerfile == ROOT / "worker" / "Dockerfile" and dockerfile.is_file()
    assert (ROOT / worker["project"] / worker["docker"]["context"]).resolve() == ROOT
    for shell in project["hooks"]["postdeploy"].values():
        assert (ROOT / shell["run"]).is_file(), shell["run"]


def test_worker_dockerfile_installs_cuda_torch_and_runs_the_worker_module():
    text = (ROOT / "worker" / "Dockerfile").read_text()
    assert re.search(r"^ARG TORCH_INDEX_URL=https://download\.pytorch\.org/whl/cu\d+$", text, re.M)
    assert re.search(r"^ARG TORCH_VERSION=2\.13\.0$", text, re.M)
    assert "requirements.txt" in text and "pip install -r requirements.txt" in text
    assert text.index('--index-url "${TORCH_INDEX_URL}"') < text.index("pip install -r requirements.txt")
    assert 'ENTRYPOINT ["python", "-m", "worker.main"]' in text
    pinned = re.search(r"^torch==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pinned and pinned.group(1) == "2.13.0", "the image's torch must match requirements.txt"
    for source in re.findall(r"^COPY (\S+)/ ", text, re.M):
        assert (ROOT / source).is_dir(), f"COPY {source}/: no such folder"


def test_every_checkov_suppression_says_why():
    pattern = re.compile(r"checkov:skip=(CKV2?_AZURE_\d+)(.*)")
    found = 0
    for path in bicep_files():
        for line in path.read_text().splitlines():
            match = pattern.search(line)
            if match:
                found += 1
                reason = match.group(2).lstrip(":").strip()
                assert len(reason) >= 15, f"{path.name}: {match.group(1)} has no reason"
    assert found, "no suppressions found: the pattern no longer matches the templates"
