"""Starting and stopping the local stack: Azurite (ports 10000-10002) and the local host (port 7071)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
AZURITE_PORTS = (10000, 10001, 10002)
DEFAULT_PORT = int(os.environ.get("MVAD_DEVHOST_PORT", "7071"))


def listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def azurite_up() -> bool:
    return all(listening(port) for port in AZURITE_PORTS)


def host_up(port: int = DEFAULT_PORT) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/admin/host/status", timeout=2).ok
    except requests.RequestException:
        return False


def _wait(ready, what: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} was not ready after {timeout:.0f} s")
        time.sleep(0.2)


def start_azurite(data_dir: Path = ROOT / ".azurite") -> subprocess.Popen | None:
    """Start Azurite (as `scripts/azurite.sh run` does) unless it already listens; None when reused."""
    if azurite_up():
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "azurite.log", "ab")
    process = subprocess.Popen([str(ROOT / "scripts" / "azurite.sh"), "run", str(data_dir)], cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    _wait(azurite_up, "Azurite", process, timeout=90)
    return process


def start_host(port: int = DEFAULT_PORT, env: dict | None = None, log_file: Path | None = None,
               timeout: float = 60) -> subprocess.Popen | None:
    """Start `python -m devhost.serve` in the background unless a host answers on `port`; None when reused."""
    if host_up(port):
        return None
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "MVAD_DEVHOST_PORT": str(port), **(env or {})}
    output = open(log_file, "ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen([sys.executable, "-m", "devhost.serve", "--port", str(port)], cwd=ROOT,
                               env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    _wait(lambda: host_up(port), "The local host", process, timeout)
    return process


def stop(process: subprocess.Popen | None, timeout: float = 20) -> None:
    """SIGTERM a process we started (and its own children, through its session), then wait for it."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
