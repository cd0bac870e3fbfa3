#!/usr/bin/env bash
# Start or stop the local Storage emulator (Azurite, pinned in package.json) on 127.0.0.1:10000-10002.
#   scripts/azurite.sh start [DATA_DIR]   # background; waits until the three ports answer
#   scripts/azurite.sh stop
#   scripts/azurite.sh run [DATA_DIR]     # foreground
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-start}
data=${2:-.azurite}
pidfile=.azurite.pid
args=(--silent --skipApiVersionCheck --disableTelemetry --loose --location "$data"
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1
      --blobPort 10000 --queuePort 10001 --tablePort 10002)

up() { (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null; }

case "$cmd" in
  run)
    mkdir -p "$data"; exec node_modules/.bin/azurite "${args[@]}" ;;
  start)
    if up; then echo "azurite: already listening on 127.0.0.1:10000-10002"; exit 0; fi
    mkdir -p "$data"
    nohup node_modules/.bin/azurite "${args[@]}" > "$data/azurite.log" 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 1 100); do up && { echo "azurite: started (pid $(cat $pidfile))"; exit 0; }; sleep 0.2; done
    echo "azurite: did not start, see $data/azurite.log" >&2; exit 1 ;;
  stop)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; echo "azurite: stopped"; fi ;;
  *) echo "usage: $0 start|stop|run [DATA_DIR]" >&2; exit 2 ;;
esac
