#!/usr/bin/env bash
# `credo serve` under load on loopback, against the same stack answering a
# constant JSON body (the hidden POST /bench/constant route, behind the same
# middleware), measured in one run:
#   1. the most requests a second each endpoint answers (32 connections, 10 s);
#   2. p99 latency at a fixed rate, half the lower of the two maxima, for both;
#   3. the server's resident memory through a long run of /v1/evaluate
#      (more requests than an hour at 100 a second), sampled every 5 s.
# Needs oha (`cargo install oha --locked`). Writes target/serve-bench.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
OHA=${OHA:-$(command -v oha || echo /tmp/oha-root/bin/oha)}
[ -x "$OHA" ] || { echo "oha not found: cargo install oha --locked" >&2; exit 1; }
SECONDS_EACH=${SECONDS_EACH:-10}
LONG=${LONG:-60}
cargo build --release --locked --quiet --bin credo
WORK=$(mktemp -d)
./target/release/credo serve --policies policies --addr 127.0.0.1:0 --no-watch \
    --bench-constant --max-in-flight 100000 2>"$WORK/serve.log" &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=""
for _ in $(seq 1 100); do
    PORT=$(grep -ao 'listening on http://127.0.0.1:[0-9]*' "$WORK/serve.log" | sed 's/.*://' || true)
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { cat "$WORK/serve.log"; exit 1; }
URL="http://127.0.0.1:$PORT"
python3 - "$WORK/body.json" <<'PY'
import json, sys
facts = json.load(open("policies/examples/partner_agreement_bc_admin_allocation.json"))
json.dump({"facts": facts}, open(sys.argv[1], "w"))
PY

# oha's JSON summary: requests a second, p99 in milliseconds, and the share that succeeded.
load() { # PATH, then oha's own options
    local path=$1; shift
    "$OHA" --no-tui --output-format json -m POST -H 'Content-Type: application/json' \
        -D "$WORK/body.json" "$@" "$URL$path" > "$WORK/out.json"
    python3 - "$WORK/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
p99 = d["latencyPercentiles"]["p99"] * 1000
codes = d.get("statusCodeDistribution", {})
print(f'{s["requestsPerSec"]:.0f} {p99:.3f} {s["successRate"]:.4f} {json.dumps(codes, separators=(",", ":"))}')
PY
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }

# Warm-up, then the maxima.
load /v1/evaluate -z 3s -c 32 > /dev/null
load /bench/constant -z 3s -c 32 > /dev/null
read -r CONST_RPS _ CONST_OK CONST_CODES < <(load /bench/constant -z "${SECONDS_EACH}s" -c 32)
read -r EVAL_RPS _ EVAL_OK EVAL_CODES < <(load /v1/evaluate -z "${SECONDS_EACH}s" -c 32)
RATE=$(( $(python3 -c "print(int(min($CONST_RPS, $EVAL_RPS) / 2))") ))
read -r _ CONST_P99 _ _ < <(load /bench/constant -z "${SECONDS_EACH}s" -c 32 -q "$RATE")
read -r _ EVAL_P99 _ _ < <(load /v1/evaluate -z "${SECONDS_EACH}s" -c 32 -q "$RATE")

# Memory through a long run at the maximum rate.
RSS_START=$(rss)
SAMPLES="$RSS_START"
load /v1/evaluate -z "${LONG}s" -c 32 > "$WORK/long.txt" &
LOADER=$!
for _ in $(seq 1 $(( LONG / 5 ))); do
    sleep 5
    SAMPLES="$SAMPLES $(rss)"
done
wait "$LOADER"
read -r LONG_RPS _ LONG_OK _ < "$WORK/long.txt"
RSS_END=$(rss)

python3 - <<PY | tee target/serve-bench.txt
const_rps, eval_rps = $CONST_RPS, $EVAL_RPS
const_p99, eval_p99 = $CONST_P99, $EVAL_P99
samples = [int(x) for x in "$SAMPLES".split()]
print(f"cores: $(nproc), oha and the server on the same machine, 32 connections")
print(f"max throughput: constant {const_rps:.0f}/s, /v1/evaluate {eval_rps:.0f}/s: ratio {eval_rps / const_rps:.2f} (target >= 0.5)")
print("  success: constant $CONST_OK, evaluate $EVAL_OK")
print(f"p99 at a fixed $RATE/s: constant {const_p99:.3f} ms, /v1/evaluate {eval_p99:.3f} ms: ratio {eval_p99 / const_p99:.2f} (target <= 2)")
total = $LONG_RPS * $LONG
print(f"memory over {total:.0f} requests in ${LONG} s (success $LONG_OK): RSS {samples[0]} KiB after warm-up, {$RSS_END} KiB at the end, samples {samples}")
print(f"  growth after warm-up: {($RSS_END - samples[0]) / samples[0] * 100:.1f}%")
PY
