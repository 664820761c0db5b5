#!/usr/bin/env bash
# `credo lsp` with real clients: Neovim (Debian's package, headless) opens a
# shipped policy with a typo and an example with a pending snapshot, and the VS Code extension is built and packaged.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvim >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null
fi
cargo build --locked --quiet --bin credo
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r policies "$work/policies"
# A misspelt field and a rule laid out badly, in a shipped policy.
sed -i 's/when account.segment != smb/when account.segmnt != smb/; s/^  deny not_smb$/  deny   not_smb/' \
  "$work/policies/new_advertiser.credo"
grep -q 'deny   not_smb' "$work/policies/new_advertiser.credo"
# A result waiting for review, as a plain `credo snapshot` leaves one after an edit.
snap="$work/policies/snapshots/registered_partner_spend_at_second_tier.snap"
sed 's/^spend_milestone_credit: 1500.00 USD$/spend_milestone_credit: 250.00 USD/' "$snap" > "$snap.new"
grep -q '^spend_milestone_credit: 250.00 USD$' "$snap.new"
CREDO="$PWD/target/debug/credo" ROOT="$work" RESULT="$work/nvim.json" \
  timeout 120 nvim --headless --clean -u NONE -c "luafile tests/nvim/lsp.lua" </dev/null >/dev/null 2>&1 || {
  echo "neovim: failed: $(cat "$work/nvim.json" 2>/dev/null)"; exit 1; }
echo "neovim: $(cat "$work/nvim.json")"
# The VS Code extension: compiled and packaged (no VS Code runs here).
if ! command -v npm >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
(cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error && npm run --silent compile && npm run --silent package)
ls editors/vscode/*.vsix
echo "lsp clients: 2 passed, 0 failed"
