// Seam for the Logic Apps connector and its workflow (not built yet: main.bicep deploys this module only when
// deployConnector is true, and it creates nothing so far). It receives what the connector will need: where the
// API is and which Key Vault secret holds the key it sends as Ocp-Apim-Subscription-Key.
param location string
param tags object
param apiEndpoint string
param keyVaultName string
param apiKeySecretName string

output apiEndpoint string = apiEndpoint
output keyVaultName string = keyVaultName
output apiKeySecretName string = apiKeySecretName
output location string = location
output tags object = tags
