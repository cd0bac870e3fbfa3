"""`python -m devhost.demo` (= `make demo`): the quickstart, end to end, on this machine.

Starts Azurite and the local host in the background (reusing them when they already run), uploads the sample CSV to
Azurite, trains a model through the official SDK (`azure-ai-anomalydetector`) with a live progress bar, runs batch
detection and detect-last, prints the anomalies with their top contributors, writes a plot to `demo-output/`, and
stops what it started.

    MVAD_TRAIN_EPOCHS=20 python -m devhost.demo     # fewer epochs for a quicker (less accurate) run
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from devhost.stack import DEFAULT_PORT, ROOT, start_host, stop

SAMPLE_CSV = ROOT / "samples" / "sample_data_5_3000.csv"
DETECT_LAST_BODY = ROOT / "samples" / "5_3000.json"
OUTPUT = ROOT / "demo-output"
CONTAINER = "demo"

# The quickstart's periods: train on the first 2000 minutes, detect on the 1000 that follow.
TRAIN_START, TRAIN_END = "2021-01-01T00:00:00Z", "2021-01-02T09:19:00Z"
DETECT_START, DETECT_END = "2021-01-02T09:20:00Z", "2021-01-03T01:59:00Z"
SLIDING_WINDOW = 200


def _utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def upload_sample(connection_string: str, path: Path = SAMPLE_CSV, container: str = CONTAINER) -> str:
    """Uploads `path` to Azurite; returns its blob URL (an allowed dataSource: it is the app's own account)."""
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(connection_string)
    try:
        service.create_container(container)
    except ResourceExistsError:
        pass
    blob = service.get_blob_client(container, path.name)
    blob.upload_blob(path.read_bytes(), overwrite=True)
    return blob.url


def train(client, data_source: str, epochs_hint: int):
    """Trains through the SDK, showing the model's epochIds as a progress bar; returns the final model."""
    from azure.ai.anomalydetector.models import AlignMode, AlignPolicy, FillNAMethod, ModelInfo, ModelStatus
    from tqdm import tqdm

    model = client.train_multivariate_model(ModelInfo(
        data_source=data_source, data_schema="OneTable", start_time=_utc(TRAIN_START), end_time=_utc(TRAIN_END),
        display_name="open-mvad-demo", sliding_window=SLIDING_WINDOW,
        align_policy=AlignPolicy(align_mode=AlignMode.OUTER, fill_n_a_method=FillNAMethod.LINEAR, padding_value=0)))
    print(f"Training model id is {model.model_id}")
    with tqdm(total=epochs_hint, unit="epoch", desc="training", dynamic_ncols=True) as bar:
        while model.model_info.status not in (ModelStatus.READY, ModelStatus.FAILED):
            time.sleep(1)
            model = client.get_multivariate_model(model.model_id)
            done = max(_epoch_ids(model), default=0)
            bar.total = max(bar.total, done)
            if str(model.model_info.status) != bar.postfix:
                bar.set_postfix_str(str(model.model_info.status), refresh=False)
            bar.update(done - bar.n)
        if model.model_info.status == ModelStatus.READY:
            bar.update(bar.total - bar.n)
    print(f"Model is {model.model_info.status}")
    if model.model_info.status == ModelStatus.FAILED:
        raise SystemExit(f"Training failed: {[(e.code, e.message) for e in model.model_info.errors or []]}")
    return model


def _epoch_ids(model) -> list[int]:
    diagnostics = model.model_info.diagnostics_info
    state = diagnostics.model_state if diagnostics else None
    return list(state.epoch_ids or []) if state else []


def detect_batch(client, model_id: str, data_source: str):
    from azure.ai.anomalydetector.models import MultivariateBatchDetectionOptions, MultivariateBatchDetectionStatus

    result = client.detect_multivariate_batch_anomaly(model_id, MultivariateBatchDetectionOptions(
        data_source=data_source, top_contributor_count=10, start_time=_utc(DETECT_START), end_time=_utc(DETECT_END)))
    while result.summary.status not in (MultivariateBatchDetectionStatus.READY, MultivariateBatchDetectionStatus.FAILED):
        time.sleep(1)
        result = client.get_multivariate_batch_detection_result(result.result_id)
        print(f"Detection is {result.summary.status}")
    if result.summary.status == MultivariateBatchDetectionStatus.FAILED:
        raise SystemExit(f"Detection failed: {[(e.code, e.message) for e in result.summary.errors or []]}")
    return result


def print_anomalies(results) -> None:
    """As the quickstart prints them, anomalies only (the full list is in the plot)."""
    for r in results:
        if r.value is None or not r.value.is_anomaly:
            continue
        print("timestamp: {}, is_anomaly: {:<5}, anomaly score: {:.4f}, severity: {:.4f}, contributor count: {:<4d}"
              .format(r.timestamp, str(r.value.is_anomaly), r.value.score, r.value.severity,
                      len(r.value.interpretation or [])))
        for contributor in r.value.interpretation or []:
            print("\tcontributor variable: {:<10}, contributor score: {:.4f}".format(
                contributor.variable, contributor.contribution_score))


def detect_last(client, model_id: str, fault: dict[str, float] | None = None, fault_points: int = 3):
    """detect-last with `5_3000.json`; `fault` adds {variable: offset} to its last `fault_points` values."""
    from azure.ai.anomalydetector.models import MultivariateLastDetectionOptions, VariableValues

    body = json.loads(DETECT_LAST_BODY.read_text())
    for v in body["variables"]:
        offset = (fault or {}).get(v["variable"], 0.0)
        v["values"] = v["values"][:-fault_points] + [x + offset for x in v["values"][-fault_points:]]
    options = MultivariateLastDetectionOptions(
        variables=[VariableValues(variable=v["variable"], timestamps=v["timestamps"], values=v["values"])
                   for v in body["variables"]],
        top_contributor_count=body.get("topContributorCount", 10))
    return client.detect_multivariate_last_anomaly(model_id, options)


def plot(results, path: Path) -> Path:
    """The variables over the detection period, the score and severity below, anomalies marked in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    data = pd.read_csv(SAMPLE_CSV, parse_dates=["timestamp"]).set_index("timestamp")
    data = data.loc[pd.Timestamp(DETECT_START):pd.Timestamp(DETECT_END)]
    scored = [(pd.Timestamp(r.timestamp), r.value.score, r.value.severity, r.value.is_anomaly)
              for r in results if r.value]
    times = [row[0] for row in scored]
    anomalies = [row[0] for row in scored if row[3]]

    rows = len(data.columns) + 2
    figure, axes = plt.subplots(rows, 1, sharex=True, figsize=(12, 1.8 * rows))
    for axis, column in zip(axes, data.columns):
        axis.plot(data.index, data[column], linewidth=0.7)
        axis.scatter(anomalies, data[column].reindex(anomalies), color="red", s=10, zorder=3)
        axis.set_ylabel(column)
    for axis, index, name in ((axes[-2], 1, "score"), (axes[-1], 2, "severity")):
        axis.plot(times, [row[index] for row in scored], color="black", linewidth=0.7)
        axis.scatter(anomalies, [row[index] for row in scored if row[3]], color="red", s=10, zorder=3)
        axis.set_ylabel(name)
    figure.suptitle(f"Open MVAD — {len(anomalies)} anomalies in {len(scored)} timestamps (red)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devhost.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)

    from azure.ai.anomalydetector import AnomalyDetectorClient
    from azure.core.credentials import AzureKeyCredential

    from service.settings import get_settings

    settings = get_settings()
    epochs = settings.train_epochs
    started = time.monotonic()
    OUTPUT.mkdir(exist_ok=True)
    print("Starting Azurite and the local host (reused when already running)...", flush=True)
    host = start_host(args.port, log_file=OUTPUT / "host.log", timeout=180)
    try:
        client = AnomalyDetectorClient(f"http://127.0.0.1:{args.port}", AzureKeyCredential(settings.api_key))
        data_source = upload_sample(settings.storage_connection_string)
        print(f"Uploaded {SAMPLE_CSV.name} to {data_source}")
        print(f"{len(list(client.list_multivariate_models()))} available models before training.")
        print(f"Training new model on {TRAIN_START} .. {TRAIN_END} ({epochs} epochs)...", flush=True)
        model = train(client, data_source, epochs)
        print(f"{len(list(client.list_multivariate_models()))} available models after training.")

        print(f"Batch detection on {DETECT_START} .. {DETECT_END}...", flush=True)
        result = detect_batch(client, model.model_id, data_source)
        print("Result ID:\t", result.result_id)
        print("Result status:\t", result.summary.status)
        print("Result length:\t", len(result.results))
        print_anomalies(result.results)
        anomalies = sum(bool(r.value and r.value.is_anomaly) for r in result.results)
        print(f"{anomalies} anomalies in {len(result.results)} timestamps.")

        last = detect_last(client, model.model_id)
        print(f"detect-last on {DETECT_LAST_BODY.name}: {len(last.results)} results")
        print_anomalies(last.results)
        for r in last.results[-3:]:
            if r.value is not None:
                print(f"  {r.timestamp}: is_anomaly={r.value.is_anomaly} severity={r.value.severity:.4f}")
        # The sample is noise-like and holds no clear anomaly; show what a fault looks like.
        fault = {"series_1": 6.0, "series_3": -6.0}
        print(f"detect-last with a fault injected over the last 3 minutes ({fault}):")
        print_anomalies(detect_last(client, model.model_id, fault).results)

        picture = plot(result.results, OUTPUT / "demo.png")
        print(f"Plot written to {picture.relative_to(ROOT)}")
        print(f"Demo finished in {time.monotonic() - started:.0f} s.")
    finally:
        if host is not None:
            stop(host)
            print("Stopped the local stack started for the demo.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
