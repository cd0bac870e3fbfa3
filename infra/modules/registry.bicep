// Container registry for the worker image. azd builds the image here (remote build) and the job pulls it with
// the managed identity (AcrPull): the admin user stays disabled.
param name string
param location string
param tags object
param identityPrincipalId string

// Built-in role id (Azure RBAC, Containers).
var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  //checkov:skip=CKV_AZURE_139: no virtual network in this template; azd pushes over the public endpoint with Entra ID tokens.
  //checkov:skip=CKV_AZURE_163: vulnerability scanning is Microsoft Defender for Containers, a subscription-wide plan the customer chooses.
  //checkov:skip=CKV_AZURE_166: quarantine needs the Premium tier.
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

resource identityAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identityPrincipalId, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
