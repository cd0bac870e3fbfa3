"""The ``dataSource`` of a request: a blob URL (a CSV, a zip, or a folder prefix) on an allowed storage account.

Validation (``parse_data_source``) makes no request: scheme, host and path are checked against the allowlist first,
so the service never fetches an arbitrary URL. Reading (``download_data_source``) copies the blob(s) into a local
temporary folder for ``mvad_engine.prepare``. A SAS token in the URL is used as the credential of that read only; it
is never part of what we show, store in model info, or log (``BlobLocation.display_url``).
"""
from __future__ import annotations

import ipaddress
import logging
import re
import string
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceNotFoundError,
                                   ServiceRequestError, ServiceResponseError)
from azure.storage.blob import ContainerClient

from mvad_engine.errors import MvadError
from service.settings import Settings

MAX_URL_LENGTH = 2048
_CONTAINER = re.compile(r"^(\$root|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$")
_PRINTABLE = set(string.printable) - set(string.whitespace)
_ZIP_MAGIC = b"PK\x03\x04"
# Containers of the Functions platform on the app's own account (host keys, locks, deployment package, Durable task
# hub): never a dataSource, since the app's identity could read them and an error message could quote them.
_PLATFORM_CONTAINER = re.compile(r"^(azure-webjobs-|app-package-|scm-)|-(leases|applease|largemessages)$")
_SIGNATURE = re.compile(r"(?i)(sig=)[^&\s\"']+")


class _RedactSignature(logging.Filter):
    """urllib3 logs every request URL, query included, at DEBUG: keep a SAS signature out of those records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _SIGNATURE.sub(r"\1REDACTED", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_SIGNATURE.sub(r"\1REDACTED", a) if isinstance(a, str) else a for a in record.args)
        return True


for _name in ("urllib3.connectionpool", "urllib3.util.retry"):
    logging.getLogger(_name).addFilter(_RedactSignature())


@dataclass(frozen=True)
class BlobLocation:
    endpoint: str  # scheme://host[:port][/account] of the storage account
    container: str
    path: str  # blob name, or folder prefix (may be empty), unquoted
    raw_path: str  # the path as written in the URL (percent-encoding kept) for display
    sas: str  # the query string (SAS token) or ""
    own_account: bool

    @property
    def display_url(self) -> str:
        """The URL without its query: safe to store, return and log."""
        return f"{self.endpoint}/{self.container}" + (f"/{self.raw_path}" if self.raw_path else "")


@dataclass(frozen=True)
class _Allowed:
    scheme: str | None  # None: any of https (and http for the local emulator only)
    hostport: str
    account: str  # path-style account (Azurite: devstoreaccount1), or ""
    own: bool


def _invalid(message: str) -> MvadError:
    return MvadError("InvalidBlobURL", message)


def _allowed_hosts(settings: Settings, own_endpoint: str) -> list[_Allowed]:
    own = urlsplit(own_endpoint)
    allowed = [_Allowed(own.scheme, _hostport(own.hostname, own.port), own.path.strip("/").lower(), True)]
    for entry in settings.allowed_storage_hosts:
        entry = entry.strip().lower()
        if "://" in entry:
            entry = entry.split("://", 1)[1]
        hostport, _, account = entry.partition("/")
        allowed.append(_Allowed("https", hostport, account.strip("/"), False))
    return allowed


def _hostport(host: str | None, port: int | None) -> str:
    return (host or "").lower() + (f":{port}" if port else "")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def parse_data_source(url, settings: Settings, own_endpoint: str, internal_containers: tuple[str, ...] = ()) -> BlobLocation:
    """Check ``url`` against the allowlist and split it; raises MvadError InvalidBlobURL. Makes no request."""
    if not isinstance(url, str) or not url:
        raise _invalid("dataSource must be a blob URL string.")
    if len(url) > MAX_URL_LENGTH or not set(url) <= _PRINTABLE or "\\" in url:
        raise _invalid("dataSource is not a valid blob URL (too long, or it holds spaces, control characters or backslashes).")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _invalid("dataSource is not a valid blob URL.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid("dataSource must be an https:// blob URL.")
    if "@" in parts.netloc or "%" in parts.netloc or parts.fragment:
        raise _invalid("dataSource must not carry user information, encoded host characters or a fragment.")
    host = parts.hostname.lower()
    hostport = _hostport(host, port)
    segments = parts.path.lstrip("/").split("/") if parts.path.strip("/") else []
    match = None
    for allowed in _allowed_hosts(settings, own_endpoint):
        if allowed.hostport != hostport:
            continue
        if allowed.account and (not segments or segments[0].lower() != allowed.account):
            continue
        match = allowed
        break
    if match is None:
        raise _invalid(f"The storage host '{hostport}' is not allowed; use the service's storage account or one "
                       "listed in MVAD_ALLOWED_STORAGE_HOSTS.")
    if parts.scheme == "http" and not (match.own and match.scheme == "http"):
        raise _invalid("dataSource must use https.")
    if _is_ip(host) and not match.own:
        raise _invalid("dataSource must name the storage account's host, not an IP address.")
    if match.account:
        segments = segments[1:]
    if not segments or not segments[0]:
        raise _invalid("dataSource must name a blob container.")
    container, raw_path = segments[0], "/".join(segments[1:])
    if not _CONTAINER.match(container):
        raise _invalid(f"'{container}' is not a valid blob container name.")
    if match.own and (container in internal_containers or _PLATFORM_CONTAINER.search(container)):
        raise _invalid(f"Container '{container}' holds the service's own data and cannot be a dataSource.")
    if re.search(r"%(25|2f|5c|00)", raw_path, re.IGNORECASE):
        raise _invalid("dataSource must not hold encoded '/', '\\', '%' or NUL characters.")
    path = unquote(raw_path)
    if any(seg in (".", "..") for seg in path.split("/")) or any(ord(c) < 32 for c in path):
        raise _invalid("dataSource must not hold '.' or '..' path segments or control characters.")
    endpoint = f"{parts.scheme}://{hostport}" + (f"/{match.account}" if match.account else "")
    return BlobLocation(endpoint, container, path, raw_path, parts.query, match.own)


def _container_client(location: BlobLocation, settings: Settings, own_service) -> ContainerClient:
    if location.own_account:
        return own_service.get_container_client(location.container)
    url = f"{location.endpoint}/{location.container}"
    # a redirect would let the allowed host send the read (and our token) anywhere: never follow one
    if location.sas:
        return ContainerClient.from_container_url(f"{url}?{location.sas}", permit_redirects=False)
    if settings.uses_identity:
        from azure.identity import DefaultAzureCredential

        return ContainerClient.from_container_url(url, credential=DefaultAzureCredential(), permit_redirects=False)
    return ContainerClient.from_container_url(url, permit_redirects=False)  # public container


def _download(container: ContainerClient, name: str, target: Path, budget: list[int], location: BlobLocation) -> Path:
    downloader = container.download_blob(name)
    size = downloader.size or 0
    budget[0] -= size
    if budget[0] < 0:
        raise MvadError("InvalidFileSize", f"The data at {location.display_url} exceeds the size limit.")
    with open(target, "wb") as f:
        downloader.readinto(f)
    return target


def download_data_source(location: BlobLocation, schema: str, settings: Settings, own_service, folder: Path) -> Path:
    """Copy the data into ``folder``; returns the path to hand to ``mvad_engine.prepare`` (a file or a folder).

    A path naming a blob is that file (CSV or zip). For MultiTable, a path naming no blob is a folder prefix: its
    direct ``.csv`` children are copied. Missing data raises FileNotExist, a refused read StorageReadError.
    """
    container = _container_client(location, settings, own_service)
    budget = [settings.max_source_bytes]
    try:
        if location.path and not location.path.endswith("/"):
            try:
                name = PurePosixPath(location.path).name
                target = _download(container, location.path, folder / name, budget, location)
                if target.suffix.lower() not in (".csv", ".zip"):
                    with open(target, "rb") as f:
                        suffix = ".zip" if f.read(4) == _ZIP_MAGIC else ".csv"
                    target = target.rename(target.with_name(target.name + suffix))
                return target
            except ResourceNotFoundError:
                if schema != "MultiTable":
                    raise
        prefix = location.path.rstrip("/") + "/" if location.path.strip("/") else ""
        tables = folder / "tables"
        tables.mkdir()
        found = 0
        for item in container.walk_blobs(name_starts_with=prefix, delimiter="/"):
            name = item.name
            if name.endswith("/") or not name.lower().endswith(".csv"):
                continue
            _download(container, name, tables / PurePosixPath(name).name, budget, location)
            found += 1
        if not found:
            raise ResourceNotFoundError("no CSV files under the prefix")
        return tables
    except ResourceNotFoundError as exc:
        raise MvadError("FileNotExist", f"File {location.display_url} does not exist.") from exc
    except ClientAuthenticationError as exc:
        raise MvadError("StorageReadError", f"Reading {location.display_url} was refused; check the SAS token "
                                            "or the service's access to that storage account.") from exc
    except HttpResponseError as exc:
        # any other refusal of the request (409 public access not permitted, 400 bad SAS, a redirect ...) is the
        # data's problem; timeouts, throttling and 5xx are transient and raise as they are
        if exc.status_code and 300 <= exc.status_code < 500 and exc.status_code not in (408, 429):
            raise MvadError("StorageReadError", f"Reading {location.display_url} was refused; check the SAS token "
                                                "or the service's access to that storage account.") from exc
        raise _transient(location, exc) from None
    except (OSError, ServiceRequestError, ServiceResponseError) as exc:
        raise _transient(location, exc) from None


def _transient(location: BlobLocation, exc: Exception) -> RuntimeError:
    # a transient failure is retried and its message may be recorded: it names the blob without its SAS, and the
    # original exception (whose text could hold the full URL) is not chained
    return RuntimeError(f"Reading {location.display_url} failed ({type(exc).__name__}); it will be retried.")
