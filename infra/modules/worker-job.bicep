// The GPU worker: a Container Apps job started on demand (Manual trigger) by the Function App's compute backend,
// one execution per training or detection job. No replica runs, and nothing is billed, between executions.
param name string
param location string
param tags object
param environmentId string
param workloadProfileName string

@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
param gpuProfile string

param image string
param registryServer string
param identityId string
param identityClientId string
param identityPrincipalId string
param storageBlobEndpoint string
param storageTableEndpoint string
param replicaTimeoutSeconds int
param retryLimit int

// A serverless GPU replica takes the whole card with its share of CPU and memory.
var resourcesByProfile = {
  'Consumption-GPU-NC8as-T4': {
    cpu: 8
    memory: '56Gi'
  }
  'Consumption-GPU-NC24-A100': {
    cpu: 24
    memory: '220Gi'
  }
}
// Built-in role id (Azure RBAC, Containers): read, start and stop Container Apps jobs.
var containerAppsJobsOperatorRoleId = 'b9a307c4-5aa3-4b52-ba60-2b17c136cd7b'

resource job 'Microsoft.App/jobs@2025-01-01' = {
  name: name
  location: location
  // azd deploys the `worker` service of azure.yaml to the job carrying this tag.
  tags: union(tags, {
    'azd-service-name': 'worker'
  })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: workloadProfileName
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: replicaTimeoutSeconds
      replicaRetryLimit: retryLimit
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: image
          resources: resourcesByProfile[gpuProfile]
          env: [
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
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
              // The worker runs its job in its own process; it never starts another execution.
              name: 'MVAD_COMPUTE_BACKEND'
              value: 'local'
            }
          ]
        }
      ]
    }
  }
}

// The Function App starts executions and reads their status with the shared identity: scoped to this job only.
resource identityJobsOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(job.id, identityPrincipalId, containerAppsJobsOperatorRoleId)
  scope: job
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', containerAppsJobsOperatorRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = job.name
output id string = job.id
