"""Load on one local stack (Azurite + the local host), over loopback: concurrent train requests in waves, then
concurrent detect-last requests, all bounded in count and time. Prints JSON: successes, errors by code, latency
percentiles (ms), whether every accepted model ended READY and whether the model list holds exactly those models.

    PYTHONPATH=. .venv/bin/python bench/load.py                     # 2 waves of 20 trains, 200 detect-last
    PYTHONPATH=. .venv/bin/python bench/load.py --trains 5 --detects 30 --max-running 2 --max-models 3

It starts its own host (a free port, its own container prefix, few epochs) with the limits given, so that
`TooManyRunningModels` (more than `--max-running` trainings at once) and `TooManyModels` (more than `--max-models`)
are reached; Azurite is reused if it listens on 10000, started otherwise.
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devhost import stack  # noqa: E402
from service.settings import AZURITE_CONNECTION_STRING  # noqa: E402

API_KEY = "load-" + uuid.uuid4().hex[:12]
TRAIN_START, TRAIN_END = "2021-01-01T00:00:00Z", "2021-01-01T08:19:00Z"
MAX_REQUESTS = 1000  # per phase: a bounded load, not a soak
REQUEST_TIMEOUT = 120


def _headers(key: str) -> dict:
    return {"Ocp-Apim-Subscription-Key": key, "Content-Type": "application/json"}


def _timed(key: str, method: str, url: str, **kwargs) -> tuple[int, str | None, float, dict]:
    """(status, error code or None, latency ms, JSON answer); a refused connection or timeout counts as status 0."""
    started = time.perf_counter()
    try:
        answer = requests.request(method, url, headers=_headers(key),
                                  timeout=REQUEST_TIMEOUT, **kwargs)
    except requests.RequestException as error:
        return 0, type(error).__name__, (time.perf_counter() - started) * 1000, {}
    elapsed = (time.perf_counter() - started) * 1000
    code = None if answer.ok else answer.headers.get("x-ms-error-code", f"HTTP{answer.status_code}")
    try:
        content = answer.json()
    except ValueError:
        content = {}
    return answer.status_code, code, elapsed, content


def _summary(calls: list[tuple], extra: dict | None = None) -> dict:
    calls = [call[:3] for call in calls]
    latencies = sorted(ms for _, _, ms in calls)
    cut = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {"requests": len(calls), "succeeded": sum(code is None for _, code, _ in calls),
            "errorsByCode": dict(Counter(code for _, code, _ in calls if code)),
            "statuses": dict(Counter(str(status) for status, _, _ in calls)),
            "serverErrors": sum(status >= 500 or status == 0 for status, _, _ in calls),
            "p50Ms": round(cut[49], 1), "p99Ms": round(cut[98], 1), **(extra or {})}


def _wait_ready(key: str, api: str, model_ids: list[str], timeout: float) -> dict[str, str]:
    deadline, status = time.monotonic() + timeout, {}
    for model_id in model_ids:
        while True:
            status[model_id] = requests.get(f"{api}/models/{model_id}", headers=_headers(key),
                                            timeout=REQUEST_TIMEOUT).json()["modelInfo"]["status"]
            if status[model_id] in ("READY", "FAILED") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    return status


def train_wave(key: str, api: str, data_source: str, count: int, workers: int,
               timeout: float) -> tuple[dict, list[str]]:
    """`count` train requests at once; waits for the accepted ones to finish. (summary, accepted model ids)"""
    body = {"dataSource": data_source, "dataSchema": "OneTable", "startTime": TRAIN_START, "endTime": TRAIN_END,
            "slidingWindow": 28, "displayName": "load"}
    with ThreadPoolExecutor(workers) as pool:
        calls = list(pool.map(lambda _: _timed(key, "POST", f"{api}/models", data=json.dumps(body)), range(count)))
    accepted = [content["modelId"] for status, _, _, content in calls if status == 201]
    final = _wait_ready(key, api, accepted, timeout)
    return _summary(calls, {"accepted": len(accepted), "acceptedReady": sum(s == "READY" for s in final.values())}), \
        accepted


def detect_last_wave(key: str, api: str, model_id: str, count: int, workers: int) -> dict:
    body = (ROOT / "samples" / "5_3000.json").read_bytes()
    url = f"{api}/models/{model_id}:detect-last"
    with ThreadPoolExecutor(workers) as pool:
        calls = list(pool.map(lambda _: _timed(key, "POST", url, data=body), range(count)))
    return _summary(calls)


def run_load(endpoint: str, key: str, data_source: str, trains: int, detects: int, workers: int, waves: int,
             train_timeout: float) -> dict:
    api = f"{endpoint.rstrip('/')}/anomalydetector/v1.1/multivariate"
    report, accepted = {"trainWaves": []}, []
    for _ in range(waves):
        summary, ids = train_wave(key, api, data_source, trains, workers, train_timeout)
        report["trainWaves"].append(summary)
        accepted += ids
    listed = requests.get(f"{api}/models", params={"top": 1000}, headers=_headers(key), timeout=REQUEST_TIMEOUT).json()
    models = {m["modelId"]: m["modelInfo"]["status"] for m in listed["models"]}
    report["models"] = {"accepted": len(accepted), "listed": len(listed["models"]),
                        "allAcceptedReady": bool(accepted) and all(models.get(i) == "READY" for i in accepted),
                        "lostOrExtra": sorted(set(models) ^ set(accepted)), "maxCount": listed.get("maxCount")}
    report["detectLast"] = detect_last_wave(key, api, accepted[0], detects, workers) if accepted and detects else None
    report["serverErrors"] = sum(w["serverErrors"] for w in report["trainWaves"]) + \
        (report["detectLast"] or {}).get("serverErrors", 0)
    return report


def upload_sample(connection: str, container: str) -> str:
    from azure.storage.blob import BlobServiceClient

    client = BlobServiceClient.from_connection_string(connection).create_container(container)
    blob = client.get_blob_client("sample_data_5_3000.csv")
    blob.upload_blob((ROOT / "samples" / "sample_data_5_3000.csv").read_bytes())
    return blob.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trains", type=int, default=20, help="concurrent train requests per wave")
    parser.add_argument("--waves", type=int, default=2, help="train waves, each waiting for its models")
    parser.add_argument("--detects", type=int, default=200, help="concurrent detect-last requests")
    parser.add_argument("--workers", type=int, default=20, help="client threads")
    parser.add_argument("--max-running", type=int, default=4, help="MVAD_MAX_RUNNING_TRAININGS of the host")
    parser.add_argument("--max-models", type=int, default=6, help="MVAD_MAX_MODELS of the host")
    parser.add_argument("--epochs", type=int, default=2, help="MVAD_TRAIN_EPOCHS of the host")
    parser.add_argument("--train-timeout", type=float, default=600)
    args = parser.parse_args(argv)
    for name in ("trains", "detects"):
        if not 0 <= getattr(args, name) <= MAX_REQUESTS:
            parser.error(f"--{name} must be between 0 and {MAX_REQUESTS}")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prefix = "load" + uuid.uuid4().hex[:8]
    env = {"MVAD_API_KEY": API_KEY, "MVAD_CONTAINER_PREFIX": prefix, "MVAD_TRAIN_EPOCHS": str(args.epochs),
           "MVAD_MAX_RUNNING_TRAININGS": str(args.max_running), "MVAD_MAX_MODELS": str(args.max_models),
           "MVAD_STORAGE_CONNECTION_STRING": AZURITE_CONNECTION_STRING, "MVAD_DEVHOST_MAX_TRAININGS": "2"}
    azurite = stack.start_azurite(Path(tempfile.mkdtemp(prefix="mvad-load-azurite-")))
    log = Path(tempfile.mkdtemp(prefix="mvad-load-")) / "host.log"
    host = stack.start_host(port, env=env, log_file=log, timeout=120)
    try:
        started = time.monotonic()
        data_source = upload_sample(AZURITE_CONNECTION_STRING, f"{prefix}-data")
        report = run_load(f"http://127.0.0.1:{port}", API_KEY, data_source, args.trains, args.detects, args.workers,
                          args.waves, args.train_timeout)
        report.update(settings={"maxRunningTrainings": args.max_running, "maxModels": args.max_models,
                                "epochs": args.epochs, "workers": args.workers},
                      seconds=round(time.monotonic() - started, 1), hostLog=str(log))
    finally:
        stack.stop(host)
        stack.stop(azurite)
    print(json.dumps(report, indent=2))
    ok = report["serverErrors"] == 0 and report["models"]["allAcceptedReady"] and not report["models"]["lostOrExtra"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
