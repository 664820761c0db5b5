#!/usr/bin/env bash
# Fills fuzz/corpus/TARGET/ with the repository's own inputs as seeds, each
# named after its folder so that files of the same name do not collide.
set -euo pipefail
cd "$(dirname "$0")/.."
seed() { # seed TARGET FILE...
  local target=$1
  shift
  mkdir -p "fuzz/corpus/$target"
  for f in "$@"; do
    cp "$f" "fuzz/corpus/$target/$(echo "$f" | tr '/' '_')"
  done
}
policies=(policies/*.credo tests/cases/semantics/*.credo tests/cases/check/*.credo)
seed parse "${policies[@]}"
seed check "${policies[@]}"
seed facts_yaml policies/examples/*.yaml tests/cases/semantics/*.yaml tests/cases/bad_input/facts/*.yaml
seed facts_json policies/examples/*.json tests/cases/bad_input/facts/*.json
mkdir -p fuzz/corpus/eval
for f in tests/cases/semantics/*.yaml; do
  { cat "${f%.yaml}.credo"; printf '\n---facts\n'; cat "$f"; } > "fuzz/corpus/eval/semantics_$(basename "$f" .yaml)"
done
# The language server: each policy, a zero byte, then one of each request
# at a few positions (see fuzz_targets/lsp.rs for the layout).
mkdir -p fuzz/corpus/lsp
for f in policies/*.credo; do
  { cat "$f"; printf '\0'; for m in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do printf "\\x$(printf %02x $m)\\x$(printf %02x $((m + 2)))\\x0a\\x2e"; done; } \
    > "fuzz/corpus/lsp/$(basename "$f")"
done
# Inputs that once failed, kept as regressions (see FUZZING.md).
for d in fuzz/regressions/*/; do
  [ -d "$d" ] && seed "$(basename "$d")" "$d"*
done
true
