#!/usr/bin/env bash
# Virtual time: simulated attempts per wall-clock second (an hour of
# traffic at 100 req/s, a throttled run, a whole comparison) against the
# same client and gateway in real time over loopback, same run.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== virtual-time simulation speed =="
go run ./bench/virtual -d "${BENCH_DURATION:-5s}"
