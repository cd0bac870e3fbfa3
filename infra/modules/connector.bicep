// Logic Apps (and Power Automate) custom connector for the API, made from the API's own OpenAPI 2.0 description
// (openapi/openapi.json, the file the app also serves at /anomalydetector/v1.1/openapi.json). A connection made
// from it asks for one of the API keys, which the connector then sends as Ocp-Apim-Subscription-Key.
param name string
param location string
param tags object

@description('Host name of the Function App (no scheme), e.g. func-abc.azurewebsites.net.')
param apiHost string

var openApi = loadJsonContent('../../openapi/openapi.json')

resource connector 'Microsoft.Web/customApis@2016-06-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    displayName: 'Open MVAD'
    description: 'Multivariate anomaly detection: train models, detect anomalies in batches (asynchronous) or on the last points.'
    apiType: 'Rest'
    brandColor: '#0078D4'
    backendService: {
      serviceUrl: 'https://${apiHost}${openApi.basePath}'
    }
    // The description leaves its host out (the app serves it from any host): the connector calls this deployment.
    swagger: union(openApi, {
      host: apiHost
    })
    connectionParameters: {
      api_key: {
        type: 'securestring'
        uiDefinition: {
          displayName: 'API key'
          description: 'One of the two API keys (Key Vault secrets mvad-api-key, mvad-api-key-secondary).'
          tooltip: 'Sent as Ocp-Apim-Subscription-Key.'
          constraints: {
            tabIndex: 2
            clearText: false
            required: 'true'
          }
        }
      }
    }
  }
}

output name string = connector.name
output id string = connector.id
