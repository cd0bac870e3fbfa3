"""The official SDK (azure-ai-anomalydetector 3.0.0b6) against the HTTP functions, through an in-process transport.

It checks what only the real client shows: the status codes it accepts, the error mapping, and that the list pager
follows our absolute nextLink and stops on the empty string.
"""
import io

import pytest
import requests
from api_fixtures import BASE, KEY, ApiClient, train_body
from azure.ai.anomalydetector import AnomalyDetectorClient
from azure.ai.anomalydetector.models import ModelInfo
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest._requests_basic import RestRequestsTransportResponse
from requests.structures import CaseInsensitiveDict

ENDPOINT = BASE[: -len("/anomalydetector/v1.1")]


class FunctionsTransport(RequestsTransport):
    """Hands each SDK request to the matching HTTP function instead of the network."""

    def __init__(self, app: ApiClient):
        super().__init__()
        self.app = app
        self.urls: list[str] = []

    def send(self, request, **kwargs):
        self.urls.append(request.url)
        assert request.url.startswith(BASE + "/")
        answer = self.app.call(request.method, request.url[len(BASE) + 1:], raw=request.content or b"",
                               key=request.headers.get("Ocp-Apim-Subscription-Key"))
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.get_body()
        response._content_consumed = True
        response.raw = io.BytesIO(response._content)
        response.headers = CaseInsensitiveDict(answer.headers)
        response.headers.setdefault("Content-Type", answer.mimetype or "application/json")
        response.url = request.url
        result = RestRequestsTransportResponse(request=request, internal_response=response)
        result.read()
        return result


@pytest.fixture
def sdk(app_env):
    transport = FunctionsTransport(ApiClient())
    return AnomalyDetectorClient(ENDPOINT, AzureKeyCredential(KEY), transport=transport, retry_total=0), transport


def test_sdk_trains_lists_across_pages_and_deletes(sdk, data_url):
    client, transport = sdk
    body = train_body(data_url, displayName="sdk")
    ids = [client.train_multivariate_model(ModelInfo(body)).model_id for _ in range(3)]
    assert client.get_multivariate_model(ids[0]).model_info.status == "CREATED"
    listed = [m.model_id for m in client.list_multivariate_models(top=2)]
    assert listed == ids[::-1]  # newest first, across two pages of two
    list_calls = [u for u in transport.urls if "/multivariate/models?" in u or u.endswith("/multivariate/models")]
    assert any("skip=2" in u for u in list_calls)  # followed our nextLink, then stopped on ""
    for model_id in ids:
        client.delete_multivariate_model(model_id)
    with pytest.raises(ResourceNotFoundError) as err:
        client.get_multivariate_model(ids[0])
    assert err.value.error.code == "ModelNotExist"


def test_sdk_maps_a_wrong_key_to_client_authentication_error(app_env):
    client = AnomalyDetectorClient(ENDPOINT, AzureKeyCredential("wrong"), transport=FunctionsTransport(ApiClient()),
                                   retry_total=0)
    with pytest.raises(ClientAuthenticationError):
        client.get_multivariate_model("00000000-0000-0000-0000-000000000000")
