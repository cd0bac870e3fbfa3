"""detect-last latency against a running local stack (`make serve`), over loopback.

Trains a model on the sample CSV through the SDK (or reuses `--model-id`), then sends the `samples/5_3000.json`
request `--requests` times, one after another, and prints JSON with the latency percentiles in milliseconds:

    PYTHONPATH=. .venv/bin/python bench/detect_last_latency.py --requests 50
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devhost.demo import TRAIN_END, TRAIN_START, upload_sample  # noqa: E402

MAX_REQUESTS = 1000  # bounded: this is a latency probe, not a load test


def train(api: str, headers: dict, data_source: str, timeout: float) -> str:
    body = {"dataSource": data_source, "dataSchema": "OneTable", "startTime": TRAIN_START, "endTime": TRAIN_END,
            "slidingWindow": 200, "displayName": "bench-detect-last",
            "alignPolicy": {"alignMode": "Outer", "fillNAMethod": "Linear", "paddingValue": 0}}
    created = requests.post(f"{api}/models", json=body, headers=headers, timeout=30)
    created.raise_for_status()
    model_id = created.json()["modelId"]
    deadline = time.monotonic() + timeout
    while True:
        status = requests.get(f"{api}/models/{model_id}", headers=headers, timeout=30).json()["modelInfo"]["status"]
        if status == "READY":
            return model_id
        if status == "FAILED" or time.monotonic() > deadline:
            raise SystemExit(f"model {model_id} is {status}; cannot measure detect-last")
        time.sleep(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=f"http://127.0.0.1:{os.environ.get('MVAD_DEVHOST_PORT', '7071')}")
    parser.add_argument("--key", default=os.environ.get("MVAD_API_KEY", "local-dev-key"))
    parser.add_argument("--model-id", help="a READY model to reuse instead of training one")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=2, help="requests sent first and not counted (model load)")
    parser.add_argument("--train-timeout", type=float, default=1800)
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be between 1 and {MAX_REQUESTS}")

    api = f"{args.endpoint.rstrip('/')}/anomalydetector/v1.1/multivariate"
    headers = {"Ocp-Apim-Subscription-Key": args.key}
    if args.model_id:
        model_id = args.model_id
    else:
        from service.settings import get_settings

        model_id = train(api, headers, upload_sample(get_settings().storage_connection_string), args.train_timeout)
    body = (ROOT / "samples" / "5_3000.json").read_bytes()
    url = f"{api}/models/{model_id}:detect-last"
    post_headers = {**headers, "Content-Type": "application/json"}

    with requests.Session() as session:
        latencies = []
        for i in range(args.warmup + args.requests):
            started = time.perf_counter()
            response = session.post(url, data=body, headers=post_headers, timeout=120)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"detect-last answered {response.status_code}: {response.text[:500]}")
            if i >= args.warmup:
                latencies.append(elapsed)

    print(json.dumps({
        "benchmark": "detect_last_latency", "endpoint": args.endpoint, "modelId": model_id,
        "request": "samples/5_3000.json (5 variables x 1000 timestamps)", "requests": len(latencies),
        "warmup": args.warmup, "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p99_ms": round(float(np.percentile(latencies, 99)), 1), "mean_ms": round(statistics.fmean(latencies), 1),
        "max_ms": round(max(latencies), 1),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
