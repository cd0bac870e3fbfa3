// The API: a Python Function App on the Flex Consumption plan (scales to zero). Every connection is made with the
// user-assigned identity: no storage key, no App Insights key, and the API keys arrive as Key Vault references.
param planName string
param appName string
param location string
param tags object
param storageAccountName string
param storageBlobEndpoint string
param storageTableEndpoint string
param deploymentContainerName string
param identityId string
param identityClientId string
param appInsightsConnectionString string
param apiKeySecretUri string
param apiKeySecondarySecretUri string
param workerJobName string
param maxModels int

@description('Days a batch result is kept (the daily purge; the blob lifecycle rule uses the same number).')
param resultRetentionDays int

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  //checkov:skip=CKV_AZURE_225: zone redundancy of Flex Consumption is regional and opt-in; the API is stateless and its state lives in storage.
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  //checkov:skip=CKV_AZURE_17: client certificates are not part of the original service's contract.
  //checkov:skip=CKV_AZURE_212: Flex Consumption scales out by itself (maximumInstanceCount); there is no fixed instance count to set.
  //checkov:skip=CKV_AZURE_222: no virtual network in this template; the API is public like the service it replaces, behind its API keys.
  //checkov:skip=CKV_AZURE_213: Flex Consumption has no App Service health check; instances are replaced by the platform and scale to zero.
  name: appName
  location: location
  // azd deploys the `api` service of azure.yaml to the app carrying this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // Key Vault references resolve with this identity (the app has no system-assigned one).
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // Functions host storage (triggers, Durable task hub) through the identity.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccountName
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        // Telemetry with Entra ID auth (the component has local auth disabled).
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsightsConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        // DefaultAzureCredential in the service code picks the user-assigned identity.
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        {
          name: 'MVAD_API_KEY'
          value: '@Microsoft.KeyVault(SecretUri=${apiKeySecretUri})'
        }
        {
          name: 'MVAD_API_KEY_SECONDARY'
          value: '@Microsoft.KeyVault(SecretUri=${apiKeySecondarySecretUri})'
        }
        {
          name: 'MVAD_STORAGE_ACCOUNT_URL'
          value: storageBlobEndpoint
        }
        {
          name: 'MVAD_TABLE_ACCOUNT_URL'
          value: storageTableEndpoint
        }
        {
          name: 'MVAD_COMPUTE_BACKEND'
          value: 'containerapps'
        }
        {
          name: 'MVAD_CONTAINER_APPS_JOB_NAME'
          value: workerJobName
        }
        {
          name: 'MVAD_CONTAINER_APPS_RESOURCE_GROUP'
          value: resourceGroup().name
        }
        {
          name: 'MVAD_SUBSCRIPTION_ID'
          value: subscription().subscriptionId
        }
        {
          name: 'MVAD_MAX_MODELS'
          value: string(maxModels)
        }
        {
          name: 'MVAD_RESULT_RETENTION_DAYS'
          value: string(resultRetentionDays)
        }
      ]
    }
  }
}

output name string = app.name
output id string = app.id
output defaultHostName string = app.properties.defaultHostName
output apiEndpoint string = 'https://${app.properties.defaultHostName}/anomalydetector/v1.1'
