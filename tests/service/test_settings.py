from service.settings import AZURITE_CONNECTION_STRING, Settings


def test_defaults_point_at_azurite_with_the_local_key():
    s = Settings.from_env({})
    assert s.api_keys == ("local-dev-key",)
    assert s.storage_connection_string == AZURITE_CONNECTION_STRING
    assert (s.max_models, s.train_epochs, s.epochs_per_chunk, s.compute_backend, s.container_prefix) == (1000, 100, 10, "local", "")
    assert not s.uses_identity


def test_environment_overrides():
    s = Settings.from_env({
        "MVAD_API_KEY": "k1", "MVAD_API_KEY_SECONDARY": "k2", "MVAD_MAX_MODELS": "5", "MVAD_TRAIN_EPOCHS": "30",
        "MVAD_EPOCHS_PER_CHUNK": "3", "MVAD_CONTAINER_PREFIX": "abc", "MVAD_ALLOWED_STORAGE_HOSTS": " a.blob.core.windows.net , b.blob.core.windows.net",
        "MVAD_STORAGE_ACCOUNT_URL": "https://acct.blob.core.windows.net",
    })
    assert s.api_keys == ("k1", "k2")
    assert (s.max_models, s.train_epochs, s.epochs_per_chunk, s.container_prefix) == (5, 30, 3, "abc")
    assert s.allowed_storage_hosts == ("a.blob.core.windows.net", "b.blob.core.windows.net")
    assert s.uses_identity


def test_azure_web_jobs_storage_is_used_when_it_is_a_connection_string():
    conn = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=eA==;EndpointSuffix=core.windows.net"
    assert Settings.from_env({"AzureWebJobsStorage": conn}).storage_connection_string == conn
    assert Settings.from_env({"AzureWebJobsStorage": "UseDevelopmentStorage=true"}).storage_connection_string == AZURITE_CONNECTION_STRING
    explicit = Settings.from_env({"AzureWebJobsStorage": conn, "MVAD_STORAGE_CONNECTION_STRING": "BlobEndpoint=x;"})
    assert explicit.storage_connection_string == "BlobEndpoint=x;"
