#!/usr/bin/env bash
# credo studio in a real browser: Debian's Chromium driven by playwright-core
# (its own browser download is not used), against `credo studio` on a copy
# of the shipped policies on 127.0.0.1. Screenshots of failed scenarios are
# kept in studio/tests/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only what is missing: a machine with Node.js from elsewhere already has
# npm, and Debian's npm package conflicts with that Node.js.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cargo build --locked --quiet --bin credo
cd studio/tests
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
rm -rf artifacts
CREDO_BIN="$PWD/../../target/debug/credo" timeout 480 node --test --test-concurrency=1 studio.test.mjs
