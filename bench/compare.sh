#!/usr/bin/env bash
# compare.sh — the seed-eu-identity comparison (the base's 14 strategies
# × 3 seeds, virtual time) at a base ref and in this tree, in the same run,
# two ways: the comparison alone, in process (BenchmarkSeedComparison,
# copied into the base tree; GOGC 400 in both), and the whole `ratelab
# compare` command with its process start and scenario load (about 8-10 ms
# of identical work in both), alternating runs, medians.
#
#   bash bench/compare.sh     (base: $COMPARE_BASE, default a73c314, the
#                              tree before records, targets and routes got
#                              one home each)
# RUNS (default 15) runs of each command.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${COMPARE_BASE:-a73c314}
runs=${RUNS:-15}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/src" "$base" >/dev/null 2>&1
(cd "$work/src" && go build -o "$work/old" ./cmd/ratelab)
go build -o "$work/new" ./cmd/ratelab
# The in-process measure: the same benchmark file in both trees.
cp compare/seed_bench_test.go "$work/src/compare/"
(cd "$work/src" && go test -c -o "$work/old.test" ./compare)
go test -c -o "$work/new.test" ./compare

# The base's 14 strategies, so both binaries do the same work even after
# strategies are added.
strategies=none,naive,fixed,exponential,full-jitter,equal-jitter,decorrelated-jitter,retry-after,token-bucket,retry-budget,aws-standard,aws-adaptive,sre-throttle,adaptive

# time_ms BIN: one compare's wall time in milliseconds.
time_ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$1" compare --scenario seed-eu-identity --strategies "$strategies" >/dev/null 2>&1
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

"$work/old" compare --scenario seed-eu-identity --strategies "$strategies" >/dev/null 2>&1 # warm the page cache
"$work/new" compare --scenario seed-eu-identity --strategies "$strategies" >/dev/null 2>&1
: >"$work/old.ms"
: >"$work/new.ms"
for _ in $(seq "$runs"); do
  time_ms "$work/old" >>"$work/old.ms"
  time_ms "$work/new" >>"$work/new.ms"
done
old=$(median <"$work/old.ms")
new=$(median <"$work/new.ms")
oldmin=$(sort -n "$work/old.ms" | head -1)
newmin=$(sort -n "$work/new.ms" | head -1)

# bench_ns TEST: one in-process comparison's time in nanoseconds.
bench_ns() { "$1" -test.run '^$' -test.bench '^BenchmarkSeedComparison$' -test.benchtime 30x | awk '/^BenchmarkSeedComparison/ {print $3}'; }
: >"$work/old.ns"
: >"$work/new.ns"
for _ in 1 2 3 4 5; do
  bench_ns "$work/old.test" >>"$work/old.ns"
  bench_ns "$work/new.test" >>"$work/new.ns"
done
oldns=$(median <"$work/old.ns")
newns=$(median <"$work/new.ns")

echo "== compare --scenario seed-eu-identity (14 strategies × 3 seeds), base $base vs this tree, same run =="
awk -v o="$oldns" -v n="$newns" 'BEGIN {
  r = o / n
  printf "the comparison, in process (BenchmarkSeedComparison, median of 5 × 30): %.1f ms vs %.1f ms, %.2f×%s\n", o / 1e6, n / 1e6, r, (r >= 1.5 ? "" : " — SHORT of 1.5×")
}'
awk -v o="$old" -v n="$new" -v om="$oldmin" -v nm="$newmin" -v runs="$runs" 'BEGIN {
  printf "the whole command, process start and scenario load included (median of %d runs): %d ms vs %d ms, %.2f× (best runs %.2f×)\n", runs, o, n, o / n, om / nm
}'
