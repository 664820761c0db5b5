#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) each, one after another,
# on one core at low priority, and appends libFuzzer's closing statistics to
# fuzz/runs.log. Length control is off (-len_control=0): libFuzzer otherwise
# keeps inputs short for most of a run, and long inputs are where limits live.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
max_len=${MAX_LEN:-16384}
shift || true
targets=${*:-parse check facts_yaml facts_json eval fmt batch_lines fast_vs_careful policy_tests}
export RUSTC_BOOTSTRAP=1
./fuzz/seed.sh
for t in $targets; do
  log="fuzz/logs/$t.log"
  mkdir -p fuzz/logs fuzz/artifacts/$t
  nice -n 10 cargo fuzz run -O "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -dict=fuzz/credo.dict -max_len="$max_len" -len_control=0 \
    -jobs=1 -workers=1 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
  status=$?
  # With -jobs, libFuzzer runs the job in a child whose output goes to fuzz-0.log.
  if [ -f fuzz-0.log ]; then cat fuzz-0.log >>"$log" && rm -f fuzz-0.log; fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  echo "$(date -u +%FT%TZ) $t seconds=$seconds max_len=$max_len len_control=0 executions=${runs:-?} coverage=${cov:-?} exit=$status" >> fuzz/runs.log
done
