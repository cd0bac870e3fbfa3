"""The local host as the reliability tests drive it: started, killed (SIGKILL) or stopped, started again on the same
port and storage, and called over loopback with plain HTTP."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

from devhost import stack

API_KEY = "rel-test-key"
HEADERS = {"Ocp-Apim-Subscription-Key": API_KEY}
# A short training period and window keep an epoch around a second on a busy machine.
TRAIN_START, TRAIN_END = "2021-01-01T00:00:00Z", "2021-01-01T08:19:00Z"
DETECT_START, DETECT_END = "2021-01-01T08:20:00Z", "2021-01-01T09:59:00Z"
FINISHED = ("READY", "FAILED")


def chunk_done(until_epoch: int) -> str:
    """What the host logs when the training chunk that ends at ``until_epoch`` has finished."""
    return '"untilEpoch": %d}) took' % until_epoch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_body(data_source: str) -> dict:
    return {"dataSource": data_source, "dataSchema": "OneTable", "startTime": TRAIN_START, "endTime": TRAIN_END,
            "slidingWindow": 28, "displayName": "reliability"}


class LocalHost:
    """One host process at a time on a fixed port; each start writes its own log file."""

    def __init__(self, env: dict, log_dir: Path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.endpoint}/anomalydetector/v1.1/multivariate"
        self.env = {"MVAD_API_KEY": API_KEY, **env}
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def log(self, start: int) -> str:
        path = self.log_dir / f"host{start}.log"
        return path.read_text() if path.exists() else ""

    def wait_log(self, text: str, timeout: float) -> None:
        """Until the current host's log shows ``text`` (polled often: a chunk lasts a second or two)."""
        deadline = time.monotonic() + timeout
        while text not in self.log(self.starts):
            assert time.monotonic() < deadline, f"{text!r} not logged after {timeout:.0f} s"
            time.sleep(0.05)

    def start(self, **extra_env) -> None:
        self.starts += 1
        log = self.log_dir / f"host{self.starts}.log"
        try:
            env = {**self.env, **{k: str(v) for k, v in extra_env.items()}}
            self.process = stack.start_host(self.port, env=env, log_file=log, timeout=120)
        except Exception as error:
            raise AssertionError(f"the local host did not start: {error}\n{self.log(self.starts)[-3000:]}") from None
        assert self.process is not None, f"port {self.port} already serves another host"

    def kill(self) -> None:
        """SIGKILL the host and everything it started: no shutdown code runs, as when a worker is lost."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        stack.stop(self.process)

    # The API, over loopback.
    def train(self, data_source: str) -> requests.Response:
        return requests.post(f"{self.api}/models", json=train_body(data_source), headers=HEADERS, timeout=60)

    def model(self, model_id: str) -> dict:
        answer = requests.get(f"{self.api}/models/{model_id}", headers=HEADERS, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def detect_batch(self, model_id: str, data_source: str) -> str:
        body = {"dataSource": data_source, "startTime": DETECT_START, "endTime": DETECT_END, "topContributorCount": 3}
        answer = requests.post(f"{self.api}/models/{model_id}:detect-batch", json=body, headers=HEADERS, timeout=60)
        assert answer.status_code == 202, answer.text
        return answer.headers["Operation-Location"].rstrip("/").rsplit("/", 1)[-1]

    def result(self, result_id: str) -> dict:
        answer = requests.get(f"{self.api}/detect-batch/{result_id}", headers=HEADERS, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def instance(self, instance_id: str) -> dict:
        return requests.get(f"{self.endpoint}/runtime/webhooks/durabletask/instances/{instance_id}",
                            timeout=30).json()

    def wait_instance(self, instance_id: str, timeout: float) -> dict:
        """Until the orchestration has ended (its last step lands a moment after the record it writes)."""
        return _wait(lambda: self.instance(instance_id),
                     lambda i: i.get("runtimeStatus") in ("Completed", "Failed", "Terminated"), timeout,
                     f"orchestration {instance_id}")

    def wait_model(self, model_id: str, timeout: float) -> dict:
        return _wait(lambda: self.model(model_id), lambda m: m["modelInfo"]["status"] in FINISHED, timeout,
                     f"model {model_id}")

    def wait_result(self, result_id: str, timeout: float) -> dict:
        return _wait(lambda: self.result(result_id), lambda r: r["summary"]["status"] in FINISHED, timeout,
                     f"result {result_id}")

    def wait_epochs(self, model_id: str, epochs: int, timeout: float) -> None:
        """Until the model's published modelState reaches ``epochs`` (progress is published every 10 epochs)."""
        def epoch_ids():
            state = self.model(model_id)["modelInfo"].get("diagnosticsInfo") or {}
            return (state.get("modelState") or {}).get("epochIds") or [0]
        _wait(epoch_ids, lambda ids: max(ids) >= epochs, timeout, f"epoch {epochs} of model {model_id}")


def _wait(read, done, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"{what} not done after {timeout:.0f} s: {value}"
        time.sleep(0.3)
