#!/usr/bin/env bash
# check.sh — compare the official clients' retry with ratelab's models of it
# (make sdk-check). For each scenario, run the real client under `ratelab
# run` and the strategy under `ratelab probe --virtual`, one operation at a
# time, and compare the gateway access logs with logdiff.
#   the Go SDK (platform-client-sdk-go v150, retries on as Terraform sets them)  vs  sdk-go
#   urllib3 as the Python SDK's rest.py configures it (Debian's python3-urllib3) vs  sdk-python
set -uo pipefail
cd "$(dirname "$0")"
RATELAB=${RATELAB:-../../bin/ratelab}
PY=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/goclient" ./goclient || { echo "sdk-check: cannot build the Go SDK client"; exit 1; }
go build -o "$work/logdiff" ./logdiff || exit 1
# Debian's urllib3 first, whatever pip installed.
export PYTHONPATH=/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
"$PY" -c 'import urllib3; print("urllib3", urllib3.__version__, "from", urllib3.__file__)'
fail=0
check() { # NAME SCENARIO OPERATION OPS STRATEGY -- CLIENT...
  local name=$1 sc=$2 op=$3 ops=$4 strat=$5; shift 6
  "$RATELAB" run --scenario "$sc" --log "$work/real.jsonl" --timeout 5m -- "$@" >"$work/run.out" 2>&1
  grep -h "operations succeeded" "$work/run.out"
  "$RATELAB" probe --scenario "$sc" --virtual --strategy "$strat" --operation "$op" --concurrency 1 --ops "$ops" \
    --max-attempts 100 --quiet --gateway-log "$work/strat.jsonl" --out "$work/attempts.jsonl" >/dev/null 2>&1
  "$work/logdiff" "$name" "$work/real.jsonl" "$work/strat.jsonl" || fail=1
}
check "go SDK vs sdk-go on retry-after-zero" retry-after-zero update-user 100 sdk-go -- "$work/goclient" -ops 100
check "urllib3 vs sdk-python on retry-after-zero" retry-after-zero update-user 100 sdk-python -- "$PY" urllib3_client.py --ops 100
check "go SDK vs sdk-go on flaky-5xx (503 + Retry-After)" flaky-5xx get-user 150 sdk-go -- "$work/goclient" -get -ops 150
check "urllib3 vs sdk-python on flaky-5xx (503 + Retry-After)" flaky-5xx get-user 150 sdk-python -- "$PY" urllib3_client.py --get --ops 150
exit $fail
