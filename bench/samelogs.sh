#!/usr/bin/env bash
# samelogs.sh — prove a refactor keeps behaviour: build ratelab at a base git
# ref and at the work tree, run every embedded scenario × seeds × every
# strategy in virtual time with both, and compare the attempt logs and the
# gateway's access logs byte for byte.
#
#   bash bench/samelogs.sh [BASE_REF]     (default BASE_REF: $SAMELOGS_BASE, else HEAD)
#
# SEEDS (default "1 2 3") picks the seeds. Exits 1 on the first difference,
# printing the two files' first differing lines; with KEEP_GOING=1 it lists
# every run that differs instead, then exits 1. SAMELOGS_IGNORE, a sed -E
# script applied to both sides before comparing, shows a change differs
# only by what it adds on purpose (the result line says so). Not part of
# `make bench`'s ratios: it proves equality, not speed.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-${SAMELOGS_BASE:-HEAD}}
seeds=${SEEDS:-1 2 3}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git worktree add --detach "$work/src" "$base" >/dev/null 2>&1
(cd "$work/src" && go build -o "$work/old" ./cmd/ratelab)
go build -o "$work/new" ./cmd/ratelab

scenarios=$("$work/new" scenarios list --names)
strategies=$("$work/new" strategies list --names)
# A scenario the base does not embed has nothing to compare with: its runs
# are listed as new, not compared (the base's probe would fail, leaving the
# previous run's logs to be compared against).
base_scenarios=" $("$work/old" scenarios list --names | tr '\n' ' ') "
n=0
differ=0
fresh=0
for sc in $scenarios; do
  if [[ "$base_scenarios" != *" $sc "* ]]; then
    echo "samelogs: $sc is not embedded at $base: new, not compared"
    fresh=$((fresh + 1))
    continue
  fi
  for seed in $seeds; do
    for st in $strategies; do
      for bin in old new; do
        mkdir -p "$work/$bin"-out
        "$work/$bin" probe --scenario "$sc" --virtual --seed "$seed" --strategy "$st" --quiet \
          --out "$work/$bin-out/a.jsonl" --gateway-log "$work/$bin-out/g.jsonl" >/dev/null 2>&1 || true
      done
      for f in a g; do
        if ! grep -q '"type":"request"\|"type":"attempt"' "$work/new-out/$f.jsonl"; then
          echo "samelogs: $sc seed $seed $st: $f.jsonl has no request or attempt record"; exit 1
        fi
        if [ -n "${SAMELOGS_IGNORE:-}" ]; then
          # A change that adds a field on purpose: compare with it removed
          # from both sides (said in the result line, never silently).
          for bin in old new; do
            sed -E "$SAMELOGS_IGNORE" "$work/$bin-out/$f.jsonl" >"$work/$bin-out/$f.tmp" && mv "$work/$bin-out/$f.tmp" "$work/$bin-out/$f.jsonl"
          done
        fi
        if ! cmp -s "$work/old-out/$f.jsonl" "$work/new-out/$f.jsonl"; then
          if [ -n "${KEEP_GOING:-}" ]; then
            echo "differs: $sc seed $seed $st $f.jsonl"
            differ=$((differ + 1))
            continue
          fi
          echo "samelogs: $sc seed $seed $st: $f.jsonl differs from $base's:"
          diff <(tr ',' '\n' <"$work/old-out/$f.jsonl") <(tr ',' '\n' <"$work/new-out/$f.jsonl") | head -20
          exit 1
        fi
      done
      n=$((n + 1))
    done
  done
done
if [ "$differ" -gt 0 ]; then
  echo "samelogs: $differ of $((2 * n)) logs differ from $base's"
  exit 1
fi
ignored=""
if [ -n "${SAMELOGS_IGNORE:-}" ]; then ignored=" once sed -E '$SAMELOGS_IGNORE' is applied to both"; fi
echo "samelogs: $n runs (scenarios × seeds [$seeds] × strategies): attempt and access logs byte-identical to $base's$ignored; $fresh new scenario(s) not compared"
