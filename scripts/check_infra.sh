#!/usr/bin/env bash
# Static checks of the Azure infrastructure (infra/, azure.yaml, worker/Dockerfile); no Azure access, no Bicep CLI.
#   1. the main .venv (requirements-dev.txt pins pycep-parser): pytest tests/infra — every .bicep file parses and the
#      parsed templates deploy what the product needs (resources, roles, settings, wiring between modules). These
#      tests are part of `make test` too.
#   2. .venv-checkov (checkov, pinned below; it needs its own older pycep-parser): checkov on infra/ must report
#      zero parsing errors and zero failed checks (suppressions carry their reason next to them in the templates).
# Both venvs are created once and reinstalled only when their pins change. Exit status: 0 only if all passes.
set -uo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
PIP_FLAGS=(--quiet --disable-pip-version-check)

# ensure_venv DIR STAMP PIP_ARGS...: (re)create DIR and install PIP_ARGS unless DIR/STAMP says it is done.
ensure_venv() {
  local dir=$1 stamp=$2
  shift 2
  if [ -f "$dir/$stamp" ] && [ -x "$dir/bin/python" ]; then
    return 0
  fi
  echo "check_infra: installing $dir ($*)"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir" || return 1
  "$dir/bin/pip" install "${PIP_FLAGS[@]}" "$@" || return 1
  rm -f "$dir"/.installed-*
  touch "$dir/$stamp"
}

make --no-print-directory setup >/dev/null || { echo "check_infra: cannot install .venv" >&2; exit 1; }
ensure_venv .venv-checkov ".installed-checkov-$CHECKOV_VERSION" "checkov==$CHECKOV_VERSION" \
  || { echo "check_infra: cannot install .venv-checkov" >&2; exit 1; }

status=0

echo "check_infra: template tests (pycep-parser)"
PYTHONPATH=. .venv/bin/python -m pytest tests/infra -p no:cacheprovider -q || status=1

echo "check_infra: checkov --framework bicep"
report=$(mktemp /tmp/mvad-checkov.XXXXXX.json)
trap 'rm -f "$report"' EXIT
# checkov exits 0 even when a file does not parse: the verdict comes from its JSON summary.
.venv-checkov/bin/checkov --directory infra --framework bicep --skip-download --quiet --compact --output json \
  >"$report" 2>"$report.err"
checkov_rc=$?
python3 - "$report" "$checkov_rc" <<'EOF' || status=1
import json, sys

path, rc = sys.argv[1], int(sys.argv[2])
try:
    data = json.load(open(path))
except ValueError:
    print(f"checkov produced no JSON report (exit {rc}):", open(path + ".err").read()[-2000:], file=sys.stderr)
    sys.exit(1)
reports = data if isinstance(data, list) else [data]
bicep = [r for r in reports if r.get("check_type") == "bicep"]
if not bicep:
    print("checkov reported nothing for bicep: no template was scanned", file=sys.stderr)
    sys.exit(1)
summary = bicep[0]["summary"]
print("checkov summary: " + ", ".join(f"{k}={summary[k]}" for k in ("passed", "failed", "skipped", "parsing_errors", "resource_count")))
for failed in bicep[0].get("results", {}).get("failed_checks", []):
    print(f"  FAILED {failed['check_id']} {failed['resource']} {failed['file_path']}:{failed['file_line_range']}  {failed['check_name']}")
for parse_error in bicep[0]["results"].get("parsing_errors", []):
    print(f"  PARSING ERROR {parse_error}")
ok = summary["parsing_errors"] == 0 and summary["failed"] == 0 and summary["resource_count"] > 0
sys.exit(0 if ok else 1)
EOF
rm -f "$report.err"

if [ "$status" = 0 ]; then echo "check_infra: OK"; else echo "check_infra: FAILED" >&2; fi
exit $status
