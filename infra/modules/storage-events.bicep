// Event Grid system topic of the storage account. Its subscription to the inbox container is created after the
// Function App's code is deployed (inbox-subscription.bicep, run by the postdeploy hook): Event Grid validates a
// webhook when the subscription is created, and the blobs_extension key exists only once the trigger is indexed.
param name string
param location string
param tags object
param storageAccountName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
output id string = topic.id
