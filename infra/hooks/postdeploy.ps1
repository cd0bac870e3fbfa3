# azd postdeploy hook (Windows): same steps as postdeploy.sh. Subscribes the inbox blob trigger to BlobCreated
# events once the code runs (Event Grid validates the webhook; the blobs_extension key exists only then).
# Needs the Azure CLI, signed in to the same tenant as azd (`az login`).
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_RESOURCE_GROUP', 'MVAD_FUNCTION_APP_NAME', 'MVAD_STORAGE_EVENTS_TOPIC_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) { throw "postdeploy: $name is not set; run through azd (azd up / azd deploy)." }
}
$functionName = if ($env:MVAD_INBOX_FUNCTION_NAME) { $env:MVAD_INBOX_FUNCTION_NAME } else { 'inbox_blob_trigger' }
$attempts = if ($env:MVAD_HOOK_ATTEMPTS) { [int]$env:MVAD_HOOK_ATTEMPTS } else { 30 }
$template = Join-Path $PSScriptRoot '..' 'modules' 'inbox-subscription.bicep'

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    throw "postdeploy: the Azure CLI (az) is needed to subscribe the inbox to Event Grid; install it, run 'az login', then 'azd hooks run postdeploy'."
}

# A Flex Consumption app at zero instances starts on the first request; the key appears once the host is up.
$key = ''
for ($i = 1; $i -le $attempts; $i++) {
    $key = az functionapp keys list --resource-group $env:AZURE_RESOURCE_GROUP --name $env:MVAD_FUNCTION_APP_NAME `
        --query 'systemKeys.blobs_extension' --output tsv 2>$null
    if ($key) { break }
    try { Invoke-WebRequest -Uri "https://$($env:MVAD_FUNCTION_APP_NAME).azurewebsites.net/" -TimeoutSec 30 -UseBasicParsing | Out-Null } catch { }
    Start-Sleep -Seconds 10
}
if (-not $key) {
    throw "postdeploy: no blobs_extension key on $($env:MVAD_FUNCTION_APP_NAME) after $attempts tries; is function '$functionName' deployed? Rerun with 'azd hooks run postdeploy'."
}

az deployment group create `
    --resource-group $env:AZURE_RESOURCE_GROUP `
    --name inbox-subscription `
    --template-file $template `
    --parameters systemTopicName=$env:MVAD_STORAGE_EVENTS_TOPIC_NAME functionAppName=$env:MVAD_FUNCTION_APP_NAME functionName=$functionName `
    --output none
if ($LASTEXITCODE -ne 0) { throw "postdeploy: the inbox Event Grid subscription was not created." }
Write-Host 'postdeploy: blobs created under inbox/ now start a batch detection.'
