"""Paths, subprocess and JSON helpers shared by the bench parts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
CACHE = REPO / "bench" / "cache"  # git-ignored: score arrays, scratch
MAIN_PYTHON = Path(os.environ.get("MVAD_MAIN_PYTHON", REPO / ".venv" / "bin" / "python"))
BENCH_PYTHON = Path(os.environ.get("MVAD_BENCH_PYTHON", REPO / ".venv-bench" / "bin" / "python"))


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f"{path.suffix}.{os.getpid()}.tmp")  # parts may run side by side
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)


def read_json(path: Path, default=None):
    return json.loads(path.read_text()) if path.exists() else default


def run_python(python: Path, module: str, *args: str, on_line=None) -> list[dict]:
    """Run `python -m module args` from the repo root; stream stderr through, return its JSON stdout lines."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([str(python), "-m", module, *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=None, text=True)
    lines = []
    for raw in proc.stdout:
        raw = raw.strip()
        if raw.startswith("{"):
            lines.append(json.loads(raw))
            if on_line:
                on_line(lines[-1])
        elif raw:
            print(raw, file=sys.stderr)
    if proc.wait() != 0:
        raise RuntimeError(f"{python} -m {module} {' '.join(args)} exited with {proc.returncode}")
    return lines
