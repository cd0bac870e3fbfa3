// Open MVAD: everything `azd up` deploys into one resource group of the customer's subscription.
// No secret travels in app settings: storage, registry, Key Vault and App Insights are reached with one
// user-assigned managed identity; the two API keys live in Key Vault and reach the Function App as references.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Azure region of every resource. It must offer Flex Consumption Functions and serverless GPUs for Container Apps.')
param location string

@description('Object id of the person or service principal running the deployment: may read the API keys and use the inbox/outbox containers. Empty: no grant.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
@description('Kind of principal that principalId names.')
param principalType string = 'User'

@minValue(1)
@maxValue(3650)
@description('Days after which batch detection results (blobs of the results container) are deleted.')
param resultRetentionDays int = 7

@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
@description('Serverless GPU workload profile of the training and detection job.')
param gpuProfile string = 'Consumption-GPU-NC8as-T4'

@description('Image of the worker job. azd replaces it with the image it builds from worker/Dockerfile (SERVICE_WORKER_IMAGE_NAME); the default public image only lets the first provisioning succeed.')
param workerImage string = 'mcr.microsoft.com/k8se/quickstart-jobs:latest'

@minValue(300)
@maxValue(86400)
@description('Longest run of one worker job execution, in seconds.')
param workerReplicaTimeoutSeconds int = 14400

@minValue(0)
@maxValue(10)
@description('How many times a failed worker execution is retried by Container Apps.')
param workerRetryLimit int = 1

@minValue(1)
@description('Most models one deployment keeps (the maxCount the list-models API reports).')
param maxModels int = 1000

@allowed([
  512
  2048
  4096
])
@description('Memory of one Function App instance, in MB.')
param functionInstanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Most Function App instances Flex Consumption scales out to.')
param functionMaximumInstanceCount int = 40

@description('Turn on Key Vault purge protection. Off by default so that `azd down --purge` can remove the vault.')
param keyVaultPurgeProtection bool = false

@secure()
//checkov:skip=CKV_AZURE_131: not a hard-coded value: newGuid() makes a new key for a deployment made without azd; azd passes the stored key (main.parameters.json).
@description('Primary API key (Ocp-Apim-Subscription-Key). azd keeps it across runs: main.parameters.json reads it back from Key Vault.')
param apiKey string = newGuid()

@secure()
//checkov:skip=CKV_AZURE_131: not a hard-coded value: newGuid() at deployment, or the stored key passed by azd.
@description('Secondary API key, for rotation.')
param apiKeySecondary string = newGuid()

@description('Deploy the Logic Apps custom connector (from openapi/openapi.json) and, with alertWebhookUrl, the sample alert workflow.')
param deployConnector bool = false

@secure()
@description('Webhook the sample workflow posts severe anomalies to (e.g. a Teams or Slack incoming webhook). Empty: no workflow.')
param alertWebhookUrl string = ''

@description('Severity (0 to 1, as text) above which the sample workflow posts an anomaly.')
param severityThreshold string = '0.5'

@description('READY model the sample workflow detects with. Empty: the workflow is deployed disabled.')
param alertModelId string = ''

@description('Blob URL (in this deployment\'s storage account) of the data the sample workflow scores every hour. Empty: the workflow is deployed disabled.')
param alertDataSource string = ''

var tags = {
  'azd-env-name': environmentName
}
// Deterministic per subscription, environment and region, so that re-provisioning updates in place.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var names = {
  resourceGroup: 'rg-${environmentName}'
  logAnalytics: 'log-${resourceToken}'
  appInsights: 'appi-${resourceToken}'
  identity: 'id-${resourceToken}'
  storage: 'st${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  registry: 'cr${resourceToken}'
  containerEnvironment: 'cae-${resourceToken}'
  workerJob: 'caj-worker-${resourceToken}'
  functionPlan: 'plan-${resourceToken}'
  functionApp: 'func-${resourceToken}'
  storageEvents: 'evgt-${resourceToken}'
  connector: 'mvad-${resourceToken}'
  alertWorkflow: 'logic-alert-${resourceToken}'
}
// The Flex Consumption deployment package goes to its own container of the same account.
var deploymentContainerName = 'app-package-${resourceToken}'
var blobContainerNames = [
  'models'
  'results'
  'inbox'
  'outbox'
  deploymentContainerName
]
var tableNames = [
  'models'
  'results'
]
var apiKeySecretName = 'mvad-api-key'
var apiKeySecondarySecretName = 'mvad-api-key-secondary'
// The blob trigger of the inbox container (EventGrid source), as named in the Function App's code.
var inboxFunctionName = 'inbox_blob_trigger'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    containerNames: blobContainerNames
    tableNames: tableNames
    resultRetentionDays: resultRetentionDays
  }
}

module storageAccess 'modules/storage-access.bicep' = {
  name: 'storage-access'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    purgeProtection: keyVaultPurgeProtection
    apiKeySecretName: apiKeySecretName
    apiKey: apiKey
    apiKeySecondarySecretName: apiKeySecondarySecretName
    apiKeySecondary: apiKeySecondary
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    name: names.registry
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
  }
}

module containerEnvironment 'modules/container-environment.bicep' = {
  name: 'container-environment'
  scope: rg
  params: {
    name: names.containerEnvironment
    location: location
    tags: tags
    logAnalyticsName: monitoring.outputs.logAnalyticsName
    gpuProfile: gpuProfile
  }
}

module workerJob 'modules/worker-job.bicep' = {
  name: 'worker-job'
  scope: rg
  params: {
    name: names.workerJob
    location: location
    tags: tags
    environmentId: containerEnvironment.outputs.id
    workloadProfileName: containerEnvironment.outputs.gpuWorkloadProfileName
    gpuProfile: gpuProfile
    image: workerImage
    registryServer: registry.outputs.loginServer
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    identityPrincipalId: identity.outputs.principalId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    replicaTimeoutSeconds: workerReplicaTimeoutSeconds
    retryLimit: workerRetryLimit
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    planName: names.functionPlan
    appName: names.functionApp
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    apiKeySecretUri: keyVault.outputs.apiKeySecretUri
    apiKeySecondarySecretUri: keyVault.outputs.apiKeySecondarySecretUri
    workerJobName: workerJob.outputs.name
    maxModels: maxModels
    resultRetentionDays: resultRetentionDays
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
  }
  // The app resolves its Key Vault references and reaches storage at start: grant first.
  dependsOn: [
    storageAccess
  ]
}

module storageEvents 'modules/storage-events.bicep' = {
  name: 'storage-events'
  scope: rg
  params: {
    name: names.storageEvents
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
  }
}

// Logic Apps: the custom connector made from the API's OpenAPI description, and a sample alert workflow that calls
// the API with the key it reads from Key Vault.
module connector 'modules/connector.bicep' = if (deployConnector) {
  name: 'connector'
  scope: rg
  params: {
    name: names.connector
    location: location
    tags: tags
    apiHost: functionApp.outputs.defaultHostName
  }
}

module alertWorkflow 'modules/logicapp-workflow.bicep' = if (deployConnector && !empty(alertWebhookUrl)) {
  name: 'alert-workflow'
  scope: rg
  params: {
    name: names.alertWorkflow
    location: location
    tags: tags
    apiEndpoint: functionApp.outputs.apiEndpoint
    keyVaultName: keyVault.outputs.name
    apiKeySecretName: apiKeySecretName
    alertWebhookUrl: alertWebhookUrl
    severityThreshold: severityThreshold
    modelId: alertModelId
    dataSource: alertDataSource
  }
}

// azd reads these into the environment (.azure/<env>/.env); the postdeploy hook uses the MVAD_* ones.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output MVAD_API_ENDPOINT string = functionApp.outputs.apiEndpoint
output MVAD_API_KEY_SECRET_NAME string = apiKeySecretName
output MVAD_API_KEY_SECONDARY_SECRET_NAME string = apiKeySecondarySecretName
output MVAD_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output MVAD_WORKER_JOB_NAME string = workerJob.outputs.name
output MVAD_FUNCTION_APP_NAME string = functionApp.outputs.name
output MVAD_STORAGE_EVENTS_TOPIC_NAME string = storageEvents.outputs.name
output MVAD_INBOX_FUNCTION_NAME string = inboxFunctionName
output MVAD_CONNECTOR_NAME string = deployConnector ? connector.outputs.name : ''
