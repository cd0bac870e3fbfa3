"""The app's settings, read from the environment once (Functions app settings, local.settings.json, or the shell)."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_CONNECTION_STRING = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
    "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
    "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
)


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the documented defaults. Tests build their own instead of patching the env."""

    api_key: str = "local-dev-key"
    api_key_secondary: str = ""
    storage_connection_string: str = AZURITE_CONNECTION_STRING
    storage_account_url: str = ""  # identity-based Blob access (DefaultAzureCredential) when set
    table_account_url: str = ""  # identity-based Table access when set
    allowed_storage_hosts: tuple[str, ...] = ()  # extra blob hosts a dataSource may point at
    max_models: int = 1000
    train_epochs: int = 100
    epochs_per_chunk: int = 10
    compute_backend: str = "local"
    container_prefix: str = ""
    model_cache_size: int = 8
    max_source_bytes: int = 2 * 1024**3  # the original service's 2 GB data limit
    # The Container Apps compute backend (MVAD_COMPUTE_BACKEND=containerapps): the job that runs the worker image.
    subscription_id: str = ""
    container_apps_resource_group: str = ""
    container_apps_job_name: str = ""
    container_apps_poll_seconds: int = 60  # longest wait between two status checks of a job execution
    result_retention_days: int = 7  # batch results (record and file) older than this are deleted every night
    max_running_trainings: int = 4  # CREATED/RUNNING models at once; more are refused with TooManyRunningModels
    job_timeout_minutes: float = 360  # a job still unfinished after this long fails (orchestrations.deadline)
    api_keys: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "api_keys", tuple(k for k in (self.api_key, self.api_key_secondary) if k))

    @property
    def uses_identity(self) -> bool:
        return bool(self.storage_account_url)

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        env = os.environ if env is None else env
        conn = env.get("MVAD_STORAGE_CONNECTION_STRING", "")
        if not conn:
            web_jobs = env.get("AzureWebJobsStorage", "")
            if web_jobs == "UseDevelopmentStorage=true":
                conn = AZURITE_CONNECTION_STRING
            elif "AccountName=" in web_jobs or "BlobEndpoint=" in web_jobs:
                conn = web_jobs
        hosts = tuple(h.strip() for h in env.get("MVAD_ALLOWED_STORAGE_HOSTS", "").split(",") if h.strip())
        return cls(
            api_key=env.get("MVAD_API_KEY", "local-dev-key"),
            api_key_secondary=env.get("MVAD_API_KEY_SECONDARY", ""),
            storage_connection_string=conn or AZURITE_CONNECTION_STRING,
            storage_account_url=env.get("MVAD_STORAGE_ACCOUNT_URL", ""),
            table_account_url=env.get("MVAD_TABLE_ACCOUNT_URL", ""),
            allowed_storage_hosts=hosts,
            max_models=int(env.get("MVAD_MAX_MODELS", "1000")),
            train_epochs=int(env.get("MVAD_TRAIN_EPOCHS", "100")),
            epochs_per_chunk=int(env.get("MVAD_EPOCHS_PER_CHUNK", "10")),
            compute_backend=env.get("MVAD_COMPUTE_BACKEND", "local"),
            container_prefix=env.get("MVAD_CONTAINER_PREFIX", ""),
            model_cache_size=int(env.get("MVAD_MODEL_CACHE_SIZE", "8")),
            max_source_bytes=int(env.get("MVAD_MAX_SOURCE_BYTES", str(2 * 1024**3))),
            subscription_id=env.get("MVAD_SUBSCRIPTION_ID", ""),
            container_apps_resource_group=env.get("MVAD_CONTAINER_APPS_RESOURCE_GROUP", ""),
            container_apps_job_name=env.get("MVAD_CONTAINER_APPS_JOB_NAME", ""),
            container_apps_poll_seconds=int(env.get("MVAD_CONTAINER_APPS_POLL_SECONDS", "60")),
            result_retention_days=int(env.get("MVAD_RESULT_RETENTION_DAYS", "7")),
            max_running_trainings=int(env.get("MVAD_MAX_RUNNING_TRAININGS", "4")),
            job_timeout_minutes=float(env.get("MVAD_JOB_TIMEOUT_MINUTES", "360")),
        )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once). Tests pass their own ``Settings`` to the service functions instead."""
    return Settings.from_env()
