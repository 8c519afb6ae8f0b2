#!/usr/bin/env bash
# Analysis ingest rate against a same-run baseline: decoding the same
# records with encoding/json and doing nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== analysis ingest vs encoding/json decode-only baseline =="
out=$(go test -run '^$' -bench 'Ingest' -benchtime 2s ./analysis/)
echo "$out" | grep -E '^Benchmark'
echo "$out" | awk '/records\/s/ { for (i=1;i<=NF;i++) if ($(i+1)=="records/s") r[$1]=$i }
  END { ing=r["BenchmarkIngest-2"]; base=r["BenchmarkIngestStdlibBaseline-2"];
        if (ing=="") for (k in r) if (k ~ /^BenchmarkIngest-/) ing=r[k];
        if (base=="") for (k in r) if (k ~ /Baseline/) base=r[k];
        printf "ingest %.0f records/s, baseline %.0f records/s, ratio %.2f (target >= 500000 records/s)\n", ing, base, ing/base;
        if (ing < 500000) exit 1 }'
