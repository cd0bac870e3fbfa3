"""``dataSource`` cannot be turned against the network: hostile URLs are refused (400 InvalidBlobURL) through the
API with no connection opened, allowed ones still pass, and a read never follows a redirect."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from api_fixtures import assert_error, train_body
from hostile_urls import HOSTILE_URLS, expand
from network_guard import recorded_connections

from mvad_engine.errors import MvadError
from service.datasource import BlobLocation, download_data_source, parse_data_source
from service.settings import Settings
from service.storage import MODELS, RESULTS, get_storage

AZURITE = {("127.0.0.1", 10000), ("127.0.0.1", 10002)}  # the app's own storage: record reads are expected
OWN = "http://127.0.0.1:10000/devstoreaccount1"
EXTERNAL = "acct.blob.core.windows.net"


def test_the_table_is_large_and_distinct():
    assert len(HOSTILE_URLS) >= 40 and len(set(HOSTILE_URLS)) == len(HOSTILE_URLS)


@pytest.fixture(scope="module")
def names(app_env):
    settings, data_url = app_env
    storage = get_storage(settings)
    return data_url.split("/")[-2], storage.name(MODELS), storage.name(RESULTS)


@pytest.mark.parametrize("template", HOSTILE_URLS)
def test_hostile_urls_are_refused_by_the_api_without_a_connection(app, names, ready_model_id, template,
                                                                  storage_census):
    url = expand(template, *names)
    before = storage_census()
    with recorded_connections(allowed=AZURITE) as attempts:
        train = app.call("POST", "multivariate/models", train_body(url))
        detect = app.call("POST", f"multivariate/models/{ready_model_id}:detect-batch",
                          {"dataSource": url, "startTime": "2021-01-01T01:00:00Z", "endTime": "2021-01-01T01:59:00Z"})
    assert attempts == []
    assert_error(train, 400, "InvalidBlobURL")
    assert_error(detect, 400, "InvalidBlobURL")
    assert app.client.started == [] and storage_census() == before


@pytest.mark.parametrize("template", HOSTILE_URLS)
def test_hostile_urls_are_refused_with_an_external_account_allowed(template):
    settings = Settings(allowed_storage_hosts=(EXTERNAL.upper(), "https://other.blob.core.windows.net/"))
    with recorded_connections() as attempts, pytest.raises(MvadError) as refused:
        parse_data_source(expand(template, "data", "models", "results"), settings, OWN, ("models", "results"))
    assert refused.value.code == "InvalidBlobURL" and attempts == []


@pytest.mark.parametrize("url, own", [
    (f"{OWN}/data/x.csv", True), (f"{OWN}/data/folder/", True), (f"{OWN}/data/x.csv?sv=2022&sig=abc", True),
    (f"https://{EXTERNAL}/data/x.csv", False), (f"https://{EXTERNAL.upper()}/data/x.zip?sv=2022&sig=abc", False),
])
def test_allowed_urls_still_pass_without_a_connection(url, own):
    settings = Settings(allowed_storage_hosts=(EXTERNAL,))
    with recorded_connections() as attempts:
        location = parse_data_source(url, settings, OWN, ("models", "results"))
    assert attempts == [] and location.own_account is own and location.container == "data"
    assert "?" not in location.display_url and "sig=" not in location.display_url


class _Redirect(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def _serve(handler) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_read_never_follows_a_redirect(tmp_path):
    """An allowed host answering 302 to somewhere else: the read stops there, as a refused read of the data."""
    recorder = _serve(_Recorder)
    _Redirect.target = f"http://127.0.0.1:{recorder.server_address[1]}/metadata/identity/oauth2/token"
    redirect = _serve(_Redirect)
    try:
        location = BlobLocation(f"http://127.0.0.1:{redirect.server_address[1]}", "data", "x.csv", "x.csv",
                                "sv=2022&sig=c2VjcmV0", own_account=False)
        with pytest.raises(MvadError) as refused:
            download_data_source(location, "OneTable", Settings(), None, tmp_path)
        assert refused.value.code == "StorageReadError" and "sig=" not in refused.value.message
        assert _Recorder.hits == []
    finally:
        redirect.shutdown()
        recorder.shutdown()
