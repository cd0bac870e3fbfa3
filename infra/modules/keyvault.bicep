// Key Vault in RBAC mode holding the two API keys. The Function App reads them as Key Vault references with the
// user-assigned identity (Key Vault Secrets User); nobody gets to write them but the deployment itself.
param name string
param location string
param tags object
param purgeProtection bool = false
param apiKeySecretName string
param apiKeySecondarySecretName string
param identityPrincipalId string

@secure()
param apiKey string

@secure()
param apiKeySecondary string

@description('Person or service principal running the deployment: may read the API keys. Empty: no grant.')
param deployerPrincipalId string = ''
param deployerPrincipalType string = 'User'

// Built-in role id (Azure RBAC, Security): read secret contents.
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  //checkov:skip=CKV_AZURE_109: no virtual network in this template; the Function App resolves its references over the public endpoint, with Entra ID RBAC on every read.
  //checkov:skip=CKV_AZURE_189: same reason as CKV_AZURE_109: public endpoint, RBAC-only access.
  //checkov:skip=CKV_AZURE_110: purge protection is a parameter (keyVaultPurgeProtection), off by default so that `azd down --purge` can remove the vault; soft delete is always on.
  //checkov:skip=CKV_AZURE_42: soft delete is on (90 days); purge protection is the keyVaultPurgeProtection parameter, see CKV_AZURE_110.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // ARM refuses an explicit false once set: leave the property out unless asked.
    enablePurgeProtection: purgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource apiKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  //checkov:skip=CKV_AZURE_41: API keys are rotated by the operator (secondary key first), not on a fixed expiry that would cut off every client.
  parent: vault
  name: apiKeySecretName
  properties: {
    value: apiKey
    contentType: 'text/plain; api-key'
  }
}

resource apiKeySecondarySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  //checkov:skip=CKV_AZURE_41: rotated by the operator, not on a fixed expiry that would cut off every client.
  parent: vault
  name: apiKeySecondarySecretName
  properties: {
    value: apiKeySecondary
    contentType: 'text/plain; api-key'
  }
}

resource identitySecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityPrincipalId, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
// Versionless: the app always resolves the current version, so rotating a key needs no redeployment.
output apiKeySecretUri string = apiKeySecret.properties.secretUri
output apiKeySecondarySecretUri string = apiKeySecondarySecret.properties.secretUri
