#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) each, one after another,
# and appends libFuzzer's closing statistics to fuzz/runs.log.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
max_len=${MAX_LEN:-8192}
shift || true
targets=${*:-parse check facts_yaml facts_json eval}
export RUSTC_BOOTSTRAP=1
./fuzz/seed.sh
for t in $targets; do
  log="fuzz/logs/$t.log"
  mkdir -p fuzz/logs fuzz/artifacts/$t
  cargo fuzz run -O "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -dict=fuzz/credo.dict -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  echo "$(date -u +%FT%TZ) $t seconds=$seconds max_len=$max_len executions=${runs:-?} exit=$status" >> fuzz/runs.log
done
