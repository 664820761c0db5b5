#!/usr/bin/env bash
# `credo serve` against schemathesis: every operation of its /openapi.json,
# generated requests checked for server errors, undocumented statuses,
# content types, headers and response schemas, schema-valid requests
# accepted and schema-violating ones refused. Zero failures, zero errors.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/serve-venv
if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi
cargo build --locked --quiet
LOG=$(mktemp)
./target/debug/credo serve --policies policies --addr 127.0.0.1:0 --no-watch 2>"$LOG" &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -f "$LOG"' EXIT
PORT=""
for _ in $(seq 1 300); do
    PORT=$(grep -ao 'listening on http://127.0.0.1:[0-9]*' "$LOG" | sed 's/.*://' || true)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || { cat "$LOG"; exit 1; }
    sleep 0.1
done
[ -n "$PORT" ] || { echo "credo serve did not start"; cat "$LOG"; exit 1; }
# The coverage phase is left out: on this Python (3.11) it trips a CPython
# bug while hypothesis formats a deep traceback ("AST constructor recursion
# depth mismatch"), an error of the tool, not of the service.
PYTHONPATH=.ci SCHEMATHESIS_HOOKS=serve_hooks "$VENV/bin/schemathesis" \
    --config-file .ci/serve-schemathesis.toml \
    run "http://127.0.0.1:$PORT/openapi.json" \
    --phases examples,fuzzing,stateful \
    --max-examples 200 --seed 20261130 --workers 2 --no-color
