#!/usr/bin/env bash
# `credo serve` under load on loopback, against the same stack answering a
# constant JSON body (the hidden POST /bench/constant route, behind the same
# middleware), measured in one run with oha (it holds a fixed rate with -q):
#   1. the most requests a second each endpoint answers (32 connections);
#   2. p99 latency at a fixed rate, half of /v1/evaluate's maximum, for both
#      endpoints, ROUNDS times each, interleaved (A B A B ...), medians;
#      oha's --latency-correction counts from when each request was due,
#      so a stall is not hidden by the requests it held back;
#   3. the server's resident memory through a long run at a fixed rate
#      (LONG seconds at LONG_RATE a second), sampled every 10 s.
# Each of 1 and 2 is run twice: without compression (oha's
# --disable-compression, as wrk sends: no Accept-Encoding) and with oha's
# default Accept-Encoding, which makes the service gzip every answer.
# MODES= (empty) skips 1 and 2, for a memory run alone.
# Needs oha (`cargo install oha --locked`). Writes target/serve-bench.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
OHA=${OHA:-$(command -v oha || echo /tmp/oha-root/bin/oha)}
[ -x "$OHA" ] || { echo "oha not found: cargo install oha --locked" >&2; exit 1; }
SECONDS_EACH=${SECONDS_EACH:-10}
ROUNDS=${ROUNDS:-3}
LONG=${LONG:-60}
LONG_RATE=${LONG_RATE:-2000}
CREDO=${CREDO:-target/release/credo}
[ -n "${NO_BUILD:-}" ] || cargo build --release --locked --quiet --bin credo
WORK=$(mktemp -d)
"$CREDO" serve --policies policies --addr 127.0.0.1:0 --no-watch \
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

# oha's JSON summary: requests a second, p99 in milliseconds, the share that
# succeeded, the status codes, and the mean size of an answer.
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
size = s.get("sizePerRequest") or 0
print(f'{s["requestsPerSec"]:.0f} {p99:.3f} {s["successRate"]:.4f} {json.dumps(codes, separators=(",", ":"))} {size}')
PY
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

REPORT="$WORK/report.txt"
echo "cores: $(nproc), load average before: $(cut -d' ' -f1-3 /proc/loadavg); oha and the server on the same machine, 32 connections" > "$REPORT"
for MODE in ${MODES-identity gzip}; do
    if [ "$MODE" = identity ]; then ENC=(--disable-compression); else ENC=(); fi
    # Warm-up, then the maxima.
    load /v1/evaluate "${ENC[@]}" -z 3s -c 32 > /dev/null
    load /bench/constant "${ENC[@]}" -z 3s -c 32 > /dev/null
    read -r CONST_RPS _ CONST_OK _ CONST_SIZE < <(load /bench/constant "${ENC[@]}" -z "${SECONDS_EACH}s" -c 32)
    read -r EVAL_RPS _ EVAL_OK _ EVAL_SIZE < <(load /v1/evaluate "${ENC[@]}" -z "${SECONDS_EACH}s" -c 32)
    RATE=$(python3 -c "print(int($EVAL_RPS / 2))")
    CONST_P99S=() EVAL_P99S=()
    for _ in $(seq 1 "$ROUNDS"); do
        read -r _ P _ _ _ < <(load /bench/constant "${ENC[@]}" -z "${SECONDS_EACH}s" -c 32 -q "$RATE" --latency-correction)
        CONST_P99S+=("$P")
        read -r _ P _ _ _ < <(load /v1/evaluate "${ENC[@]}" -z "${SECONDS_EACH}s" -c 32 -q "$RATE" --latency-correction)
        EVAL_P99S+=("$P")
    done
    CONST_P99=$(median "${CONST_P99S[@]}")
    EVAL_P99=$(median "${EVAL_P99S[@]}")
    python3 - >> "$REPORT" <<PY
const_rps, eval_rps = $CONST_RPS, $EVAL_RPS
const_p99, eval_p99 = $CONST_P99, $EVAL_P99
print(f"[$MODE] answer size: constant $CONST_SIZE B, /v1/evaluate $EVAL_SIZE B")
print(f"[$MODE] max throughput: constant {const_rps:.0f}/s, /v1/evaluate {eval_rps:.0f}/s: ratio {eval_rps / const_rps:.2f} (target >= 0.5); success {$CONST_OK}, {$EVAL_OK}")
print(f"[$MODE] p99 at a fixed $RATE/s (half of /v1/evaluate's maximum), median of $ROUNDS interleaved rounds: constant {const_p99:.3f} ms, /v1/evaluate {eval_p99:.3f} ms: ratio {eval_p99 / const_p99:.2f} (target <= 2)")
print(f"[$MODE]   rounds: constant ${CONST_P99S[*]}; evaluate ${EVAL_P99S[*]}")
PY
done

# Memory through a long run at a fixed rate, without compression.
if [ "$LONG" -gt 0 ]; then
    RSS_START=$(rss)
    SAMPLES="$RSS_START"
    load /v1/evaluate --disable-compression -z "${LONG}s" -c 32 -q "$LONG_RATE" > "$WORK/long.txt" &
    LOADER=$!
    for _ in $(seq 1 $(( LONG / 10 ))); do
        sleep 10
        SAMPLES="$SAMPLES $(rss)"
    done
    wait "$LOADER"
    read -r LONG_RPS _ LONG_OK _ _ < "$WORK/long.txt"
    RSS_END=$(rss)
    python3 - >> "$REPORT" <<PY
samples = [int(x) for x in "$SAMPLES".split()]
total = $LONG_RPS * $LONG
# After warm-up: from the sample a minute in (or the first) to the end.
warm = samples[min(6, len(samples) - 1)]
print(f"memory over {total:.0f} requests of /v1/evaluate in ${LONG} s at {$LONG_RPS:.0f}/s (success $LONG_OK): RSS {samples[0]} KiB before, {warm} KiB after a minute, {$RSS_END} KiB at the end")
print(f"  samples every 10 s (KiB): {samples}")
print(f"  growth after warm-up: {($RSS_END - warm) / warm * 100:.1f}%, highest sample {max(samples)} KiB")
PY
fi
tee target/serve-bench.txt < "$REPORT"
