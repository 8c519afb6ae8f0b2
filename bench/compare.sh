#!/usr/bin/env bash
# compare.sh — the whole `ratelab compare --scenario seed-eu-identity`
# (14 strategies × 3 seeds, virtual time) against the same command built
# at a base ref, in the same run: alternating runs, medians, the ratio.
#
#   bash bench/compare.sh            (base: $COMPARE_BASE, default a73c314,
#                                     the tree before records, targets and
#                                     routes got one home each)
# RUNS (default 15) runs of each binary.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${COMPARE_BASE:-a73c314}
runs=${RUNS:-15}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/src" "$base" >/dev/null 2>&1
(cd "$work/src" && go build -o "$work/old" ./cmd/ratelab)
go build -o "$work/new" ./cmd/ratelab

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
echo "== compare --scenario seed-eu-identity (14 strategies × 3 seeds), $runs runs each, median wall time =="
echo "base $base: ${old} ms (range $(sort -n "$work/old.ms" | head -1)-$(sort -n "$work/old.ms" | tail -1))"
echo "this tree:  ${new} ms (range $(sort -n "$work/new.ms" | head -1)-$(sort -n "$work/new.ms" | tail -1))"
oldmin=$(sort -n "$work/old.ms" | head -1)
newmin=$(sort -n "$work/new.ms" | head -1)
awk -v o="$old" -v n="$new" -v om="$oldmin" -v nm="$newmin" 'BEGIN {
  r = o / n
  printf "speed-up: %.2f× by medians, %.2f× by best runs (target ≥ 1.5× by medians)%s\n", r, om / nm, (r >= 1.5 ? "" : " — SHORT")
}'
