#!/usr/bin/env bash
# Run pytest with Azurite up; stops Azurite afterwards only if this script started it.
set -uo pipefail
cd "$(dirname "$0")/.."
started=0
if ! (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then
  data=$(mktemp -d /tmp/mvad-azurite-test.XXXXXX)
  scripts/azurite.sh start "$data" || exit 1
  started=1
fi
.venv/bin/python -m pytest "$@"
rc=$?
[ "$started" = 1 ] && scripts/azurite.sh stop
# pytest's "no tests collected" is not a failure of the suite selection
[ "$rc" = 5 ] && rc=0
exit $rc
