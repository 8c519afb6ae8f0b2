#!/usr/bin/env bash
# Probe runner: open-loop rate accuracy at 2,000 req/s and closed-loop
# throughput against vegeta on the same local target, same run.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== probe runner vs vegeta (loopback) =="
go run ./bench/probe -d "${BENCH_DURATION:-10s}"
