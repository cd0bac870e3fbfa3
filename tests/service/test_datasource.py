import io
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas
from service_fixtures import tiny_frame_csv

from mvad_engine.errors import MvadError
from service.datasource import BlobLocation, download_data_source, parse_data_source
from service.settings import Settings
from service.storage import get_storage

OWN = "http://127.0.0.1:10000/devstoreaccount1"
AZURE_OWN = "https://mine.blob.core.windows.net"
SETTINGS = Settings(allowed_storage_hosts=("partner.blob.core.windows.net",))


def parse(url, own=OWN, internal=("models",)):
    return parse_data_source(url, SETTINGS, own, internal)


def test_own_emulator_account_over_http_with_sas_kept_apart():
    loc = parse(f"{OWN}/data/folder/sample%20data.csv?sv=2021&sig=SECRET")
    assert (loc.container, loc.path, loc.own_account) == ("data", "folder/sample data.csv", True)
    assert loc.sas == "sv=2021&sig=SECRET"
    assert loc.display_url == f"{OWN}/data/folder/sample%20data.csv"
    assert "SECRET" not in loc.display_url


def test_allowed_extra_host_over_https():
    loc = parse("https://partner.blob.core.windows.net/data/x.zip?sig=1", own=AZURE_OWN)
    assert (loc.endpoint, loc.container, loc.path, loc.own_account) == ("https://partner.blob.core.windows.net", "data", "x.zip", False)
    own = parse("https://MINE.blob.core.windows.net/data/", own=AZURE_OWN)
    assert own.own_account and own.path == ""


@pytest.mark.parametrize("url", [
    "https://evil.example.com/c/x.csv",                                # not allowed
    "https://partner.blob.core.windows.net.evil.com/c/x.csv",          # suffix trick
    "http://partner.blob.core.windows.net/data/x.csv",                    # http only for the emulator
    "https://user:pw@partner.blob.core.windows.net/data/x.csv",           # userinfo
    "https://partner.blob.core.windows.net:444/data/x.csv",               # other port
    "http://127.0.0.1:10001/devstoreaccount1/data/x.csv",                 # IP literal, other port
    "http://127.0.0.1:10000/otheraccount/data/x.csv",                     # other account on the emulator
    "http://169.254.169.254/metadata/instance",                        # metadata endpoint
    "https://partner.blob.core.windows.net/data/a%2f..%2fb.csv",          # encoded slash
    "https://partner.blob.core.windows.net/data/a/../b.csv",              # dot segments
    "https://partner.blob.core.windows.net/data/x.csv#frag",              # fragment
    "https://partner%2eblob.core.windows.net/data/x.csv",                 # encoded host
    "https://partner.blob.core.windows.net/C_bad/x.csv",               # invalid container
    "https://partner.blob.core.windows.net/",                          # no container
    "file:///etc/passwd", "ftp://partner.blob.core.windows.net/data/x", "not a url", "", 42, None,
    f"{OWN}/models/abc/model.zip",                                     # the service's own data
    "https://partner.blob.core.windows.net/data/x.csv\n",                 # control character
])
def test_rejected_urls_name_invalid_blob_url(url):
    with pytest.raises(MvadError) as err:
        parse(url, own=OWN if "127.0.0.1" in str(url) or "models" in str(url) else AZURE_OWN)
    assert err.value.code == "InvalidBlobURL"


@pytest.fixture
def data_container(settings):
    storage = get_storage(settings)
    name = settings.container_prefix + "src"
    client = storage.blob_service.get_container_client(name)
    client.create_container()
    return storage, client


def test_downloads_a_csv_a_zip_and_a_multitable_folder(data_container, settings, tmp_path):
    storage, client = data_container
    client.upload_blob("one/table.csv", tiny_frame_csv(rows=40))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("a.csv", "timestamp,value\n2021-01-01T00:00:00Z,1\n")
    client.upload_blob("zips/noext", zipped.getvalue())
    client.upload_blob("multi/a.csv", b"timestamp,value\n2021-01-01T00:00:00Z,1\n")
    client.upload_blob("multi/b.csv", b"timestamp,value\n2021-01-01T00:00:00Z,2\n")
    client.upload_blob("multi/readme.txt", b"ignored")
    client.upload_blob("multi/nested/c.csv", b"not a direct child")
    base = f"{storage.own_blob_endpoint}/{client.container_name}"

    def fetch(path, schema, sub):
        folder = tmp_path / sub
        folder.mkdir()
        return download_data_source(parse_data_source(f"{base}/{path}", settings, storage.own_blob_endpoint),
                                    schema, settings, storage.blob_service, folder)

    csv = fetch("one/table.csv", "OneTable", "1")
    assert csv.name == "table.csv" and csv.read_bytes() == tiny_frame_csv(rows=40)
    assert fetch("zips/noext", "MultiTable", "2").suffix == ".zip"
    folder = fetch("multi", "MultiTable", "3")
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv", "b.csv"]
    with pytest.raises(MvadError) as err:
        fetch("missing.csv", "OneTable", "4")
    assert err.value.code == "FileNotExist"
    with pytest.raises(MvadError) as err:
        fetch("empty-prefix", "MultiTable", "5")
    assert err.value.code == "FileNotExist"
    small = Settings(storage_connection_string=settings.storage_connection_string, max_source_bytes=10)
    with pytest.raises(MvadError) as err:
        download_data_source(parse_data_source(f"{base}/one/table.csv", small, storage.own_blob_endpoint),
                             "OneTable", small, storage.blob_service, tmp_path)
    assert err.value.code == "InvalidFileSize"


def test_a_sas_token_is_the_credential_of_a_foreign_account_read(data_container, settings, tmp_path):
    storage, client = data_container
    client.upload_blob("x.csv", b"timestamp,a\n2021-01-01T00:00:00Z,1\n")
    credential = storage.blob_service.credential
    sas = generate_container_sas(credential.account_name, client.container_name, account_key=credential.account_key,
                                 permission=ContainerSasPermissions(read=True, list=True),
                                 expiry=datetime.now(timezone.utc) + timedelta(minutes=10))
    endpoint = storage.own_blob_endpoint
    # the same emulator seen as a foreign account: only the SAS (or nothing) is the credential
    with_sas = BlobLocation(endpoint, client.container_name, "x.csv", "x.csv", sas, own_account=False)
    assert download_data_source(with_sas, "OneTable", settings, storage.blob_service, tmp_path).read_bytes().startswith(b"timestamp")
    without = BlobLocation(endpoint, client.container_name, "x.csv", "x.csv", "", own_account=False)
    (tmp_path / "again").mkdir()
    with pytest.raises(MvadError) as err:
        download_data_source(without, "OneTable", settings, storage.blob_service, tmp_path / "again")
    assert err.value.code in ("StorageReadError", "FileNotExist")


def test_transient_read_failures_name_the_blob_without_its_sas(data_container, settings, tmp_path, monkeypatch):
    from azure.core.exceptions import ServiceRequestError

    storage, client = data_container

    def unreachable(self, *args, **kwargs):
        raise ServiceRequestError("connection reset while GET https://host/c/x.csv?sig=SECRET")

    monkeypatch.setattr(type(client), "download_blob", unreachable)
    location = parse_data_source(f"{storage.own_blob_endpoint}/{client.container_name}/x.csv?sig=SECRET", settings,
                                 storage.own_blob_endpoint)
    with pytest.raises(RuntimeError) as err:
        download_data_source(location, "OneTable", settings, storage.blob_service, tmp_path)
    assert "SECRET" not in str(err.value) and location.display_url in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__
