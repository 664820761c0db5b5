#!/usr/bin/env bash
# Whole-process times of two `credo` binaries, interleaved in one run, as
# ratios NEW / BASE: `eval` of the worked example, and `batch` of generated
# accounts to stdout and to a file with `-o` (the atomic writer: a temporary
# file, fsync, rename).
#   bash benches/cli_io.sh BASE_BINARY NEW_BINARY CREDO_GEN [ACCOUNTS] [ROUNDS]
set -euo pipefail
base=$1 new=$2 gen=$3 accounts=${4:-100000} rounds=${5:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$gen" facts --accounts "$accounts" --seed 7 > "$work/accounts.jsonl"
example=policies/examples/bc_admin_allocates_within_balance.yaml

# Seconds of one run, as a decimal.
elapsed() {
  local start end
  start=$(date +%s%N)
  "$@" > /dev/null 2>&1
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000 ))e-6" | awk '{printf "%.6f\n", $1}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # name, then the arguments after the binary
  local name=$1; shift
  local b=() n=()
  for _ in $(seq "$rounds"); do
    b+=("$(elapsed "$base" "$@")")
    n+=("$(elapsed "$new" "$@")")
  done
  local mb mn
  mb=$(printf '%s\n' "${b[@]}" | median)
  mn=$(printf '%s\n' "${n[@]}" | median)
  awk -v name="$name" -v b="$mb" -v n="$mn" \
    'BEGIN {printf "%-28s base %8.4f s  new %8.4f s  new/base %.2fx\n", name, b, n, n / b}'
}

measure "eval worked example" eval --format json "$example"
measure "batch $accounts to stdout" batch --jobs 2 "$work/accounts.jsonl"
measure "batch $accounts -o file" batch --jobs 2 "$work/accounts.jsonl" -o "$work/results.jsonl"
