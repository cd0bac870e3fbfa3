"""An Azurite of the test's own, on free ports and its own data folder, that a test may kill and start again."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from local_stack import free_port

from devhost import stack
from service.settings import AZURITE_CONNECTION_STRING



class OwnAzurite:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.ports = {"blob": free_port(), "queue": free_port(), "table": free_port()}
        self.process: subprocess.Popen | None = None

    @property
    def connection_string(self) -> str:
        # The well-known development account, on this instance's ports.
        connection = AZURITE_CONNECTION_STRING
        for default, kind in ((10000, "blob"), (10001, "queue"), (10002, "table")):
            connection = connection.replace(f":{default}/", f":{self.ports[kind]}/")
        return connection

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [str(stack.ROOT / "node_modules" / ".bin" / "azurite"), "--blobPort", str(self.ports["blob"]),
                   "--queuePort", str(self.ports["queue"]), "--tablePort", str(self.ports["table"]),
                   "--skipApiVersionCheck", "--disableTelemetry", "--location", str(self.data_dir)]
        with open(self.data_dir / "azurite.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while not all(stack.listening(port) for port in self.ports.values()):
            assert self.process.poll() is None, f"Azurite exited with {self.process.returncode}"
            assert time.monotonic() < deadline, "Azurite did not listen within 60 s"
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
