#!/usr/bin/env bash
# Gateway throughput vs a bare net/http handler, same load generator, same run.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== mock gateway vs bare handler (loopback) =="
go run ./bench/gateway -d "${BENCH_DURATION:-5s}"
