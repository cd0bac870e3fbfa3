#!/usr/bin/env bash
# make bench: builds the bench-only venv (.venv-bench, numpy<2 for the anchors) on first use, then runs bench/run.py.
# The engine itself runs in the main .venv (make setup); the two meet through files under bench/cache/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(command -v python3.11 || command -v python3)
if [ ! -f .venv-bench/.installed ] || [ bench/requirements.txt -nt .venv-bench/.installed ]; then
  test -x .venv-bench/bin/python || "$PY" -m venv .venv-bench
  .venv-bench/bin/pip install -q --disable-pip-version-check -r bench/requirements.txt
  touch .venv-bench/.installed
fi
test -x .venv/bin/python || { echo "bench: run 'make setup' first (the engine runs in .venv)" >&2; exit 1; }
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec nice -n "${BENCH_NICE:-0}" .venv-bench/bin/python -m bench.run "$@"
