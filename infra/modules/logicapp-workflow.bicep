// Sample Logic App (Consumption): every hour, batch detection over the last hours of a data blob with a READY model;
// anomalies above a severity threshold are posted to a webhook. The definition is infra/workflows/
// batch-detection-alert.json. The workflow reads the API key from Key Vault with its own managed identity, which may
// read that one secret and nothing else.
param name string
param location string
param tags object

@description('https://<app>.azurewebsites.net/anomalydetector/v1.1')
param apiEndpoint string
param keyVaultName string
param apiKeySecretName string

@secure()
@description('Receives a JSON POST listing the anomalies above severityThreshold (e.g. a Teams or Slack incoming webhook).')
param alertWebhookUrl string

@description('Severity (0 to 1) above which an anomaly is posted, as text: \'0.5\'.')
param severityThreshold string = '0.5'

@description('A READY model. Empty: the workflow is deployed disabled.')
param modelId string = ''

@description('Blob URL of the data to score, in the deployment\'s storage account. Empty: the workflow is deployed disabled.')
param dataSource string = ''

@minValue(1)
@maxValue(168)
@description('Each run scores the timestamps of the last windowHours hours.')
param windowHours int = 1

// Built-in role id (Azure RBAC, Security): read secret contents.
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource apiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = {
  parent: vault
  name: apiKeySecretName
}

resource workflow 'Microsoft.Logic/workflows@2019-05-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    // Nothing to score until a model is trained: deployed disabled until modelId and dataSource are given.
    state: (empty(modelId) || empty(dataSource)) ? 'Disabled' : 'Enabled'
    definition: loadJsonContent('../workflows/batch-detection-alert.json')
    parameters: {
      apiEndpoint: {
        value: apiEndpoint
      }
      apiKeySecretUrl: {
        value: '${vault.properties.vaultUri}secrets/${apiKeySecretName}'
      }
      modelId: {
        value: modelId
      }
      dataSource: {
        value: dataSource
      }
      windowHours: {
        value: windowHours
      }
      severityThreshold: {
        value: json(severityThreshold)
      }
      alertWebhookUrl: {
        value: alertWebhookUrl
      }
    }
  }
}

// The workflow may read the API key secret, and only that secret.
resource workflowSecretUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(apiKeySecret.id, workflow.id, keyVaultSecretsUserRoleId)
  scope: apiKeySecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: workflow.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = workflow.name
output principalId string = workflow.identity.principalId
