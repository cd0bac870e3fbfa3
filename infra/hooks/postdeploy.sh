#!/bin/sh
# azd postdeploy hook: subscribe the inbox blob trigger to BlobCreated events of the inbox container.
# It runs after the code is deployed because Event Grid validates the webhook when the subscription is created,
# and the Functions host creates its blobs_extension key only once it has indexed the EventGrid blob trigger.
# Needs the Azure CLI, signed in to the same tenant as azd (`az login`). azd passes its environment variables.
set -eu

: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy)}"
: "${MVAD_FUNCTION_APP_NAME:?missing output of infra/main.bicep}"
: "${MVAD_STORAGE_EVENTS_TOPIC_NAME:?missing output of infra/main.bicep}"
function_name="${MVAD_INBOX_FUNCTION_NAME:-inbox_blob_trigger}"
attempts="${MVAD_HOOK_ATTEMPTS:-30}"
template="$(dirname "$0")/../modules/inbox-subscription.bicep"

if ! command -v az >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) is needed to subscribe the inbox to Event Grid; install it, run 'az login', then 'azd hooks run postdeploy'." >&2
  exit 1
fi

# A Flex Consumption app at zero instances starts on the first request; the key appears once the host is up.
i=0
while :; do
  key="$(az functionapp keys list --resource-group "$AZURE_RESOURCE_GROUP" --name "$MVAD_FUNCTION_APP_NAME" \
    --query 'systemKeys.blobs_extension' --output tsv 2>/dev/null || true)"
  [ -n "$key" ] && break
  i=$((i + 1))
  if [ "$i" -ge "$attempts" ]; then
    echo "postdeploy: no blobs_extension key on $MVAD_FUNCTION_APP_NAME after $attempts tries; is function '$function_name' deployed? Rerun with 'azd hooks run postdeploy'." >&2
    exit 1
  fi
  curl --silent --output /dev/null --max-time 30 "https://$MVAD_FUNCTION_APP_NAME.azurewebsites.net/" || true
  sleep 10
done

az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name inbox-subscription \
  --template-file "$template" \
  --parameters systemTopicName="$MVAD_STORAGE_EVENTS_TOPIC_NAME" functionAppName="$MVAD_FUNCTION_APP_NAME" functionName="$function_name" \
  --output none
echo "postdeploy: blobs created under inbox/ now start a batch detection."
