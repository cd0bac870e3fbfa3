"""`python -m devhost.serve` (= `make serve`): Azurite and the local Functions host in the foreground.

    http://127.0.0.1:7071/anomalydetector/v1.1/multivariate/...   (header Ocp-Apim-Subscription-Key: $MVAD_API_KEY,
                                                                   default `local-dev-key`)
Azurite keeps its data in `.azurite/` (reused when it already runs). Ctrl-C or SIGTERM stops both; orchestrations
that were running resume when the host starts again.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from devhost.inbox import BlobTriggerPoller
from devhost.stack import DEFAULT_PORT, ROOT, start_azurite, stop


def build_host(port: int, host: str = "127.0.0.1"):
    """The app's functions, the Durable runtime over the instance table, and the HTTP server (not yet serving)."""
    import function_app
    from devhost.durable import DurableRuntime
    from devhost.functions import index_app
    from devhost.instances import InstanceStore
    from devhost.server import LocalHost
    from service.settings import get_settings

    settings = get_settings()
    functions = index_app(function_app.app)
    runtime = DurableRuntime(functions, InstanceStore(settings.storage_connection_string, settings.container_prefix))
    return LocalHost(functions, runtime, host, port), runtime, settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devhost.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP port (default 7071, MVAD_DEVHOST_PORT)")
    parser.add_argument("--azurite-dir", type=Path, default=ROOT / ".azurite", help="Azurite's data folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)  # the SDKs log every storage request at INFO

    # Trainings, detections and detect-last share the cores inside this one process: one intra-op thread per job
    # avoids OpenMP oversubscription (on a busy 2-core machine 2 threads per job trained 3x slower than 1).
    import torch

    torch.set_num_threads(int(os.environ.get("MVAD_TORCH_THREADS", "1")))

    # SIGTERM ends the process as Ctrl-C does, so the finally blocks below run.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    azurite = start_azurite(args.azurite_dir)
    try:
        host, runtime, settings = build_host(args.port)
        blob_triggers = BlobTriggerPoller(host, settings)  # the inbox container, polled (Event Grid in Azure)
        try:
            resumed = runtime.resume_unfinished(settings.job_timeout_minutes)
            blob_triggers.start()
            prefix = host.functions.route_prefix
            print(f"Open MVAD local host: {host.base_url}/{prefix}/multivariate/models"
                  f"  (key: MVAD_API_KEY{'' if settings.api_key != 'local-dev-key' else ' = local-dev-key'};"
                  f" {len(host.functions.routes)} HTTP functions; {resumed} orchestrations resumed)", flush=True)
            host.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            blob_triggers.stop()
            host.close()
    except KeyboardInterrupt:
        pass
    finally:
        stop(azurite)
    print("Open MVAD local host: stopped", flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # A training chunk may still run on a daemon thread inside torch; ending the interpreter under it aborts the
    # process, so leave at once (the chunk resumes from its checkpoint on the next start).
    os._exit(code)
