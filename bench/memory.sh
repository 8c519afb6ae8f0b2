#!/usr/bin/env bash
# Virtual-time memory: peak RSS of `ratelab probe --virtual` at 100k and
# 1M operations (unthrottled update-user), and the growth per operation
# between them, which should be about zero. Fails above 64 bytes per
# operation. About 30 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ratelab" ./cmd/ratelab
echo "== virtual-time memory: peak RSS by operations =="
go run ./bench/memory -bin "$work/ratelab" "$@"
