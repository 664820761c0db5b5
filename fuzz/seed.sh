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
seed fmt "${policies[@]}" tests/cases/fmt/*.credo
# JSON Lines: the diff corpora, and each JSON fact file as one line.
jsonl=(tests/cases/diff/*.jsonl tests/cases/bad_input/facts/*.json policies/examples/*.json)
seed batch_lines "${jsonl[@]}"
seed fast_vs_careful "${jsonl[@]}"
mkdir -p fuzz/corpus/fast_vs_careful
for f in tests/cases/diff/*.jsonl; do
  n=0
  while IFS= read -r line && [ $n -lt 200 ]; do
    n=$((n + 1))
    printf '%s' "$line" > "fuzz/corpus/fast_vs_careful/$(basename "$f" .jsonl)_line_$n"
  done < "$f"
done
seed policy_tests tests/cases/policy_tests/bad/*.yaml tests/cases/policy_tests/offers/tests/*.yaml policies/tests/*.yaml
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
# The service: one byte for the endpoint (0 evaluate, 1 explain, 2 whatif,
# 3 batch; see fuzz_targets/serve.rs), then a body made of the fact
# documents of the diff corpora and the JSON examples.
mkdir -p fuzz/corpus/serve
n=0
for facts_file in policies/examples/*.json; do
  n=$((n + 1))
  printf '\x00{"facts": %s}' "$(tr -d '\n' < "$facts_file")" > "fuzz/corpus/serve/example_$n"
done
for f in tests/cases/diff/*.jsonl; do
  name=$(basename "$f" .jsonl)
  n=0
  while IFS= read -r facts && [ $n -lt 40 ]; do
    n=$((n + 1))
    printf '\x00{"facts": %s}' "$facts" > "fuzz/corpus/serve/evaluate_${name}_$n"
    printf '\x01{"facts": %s, "decisions": ["credit_track", "spend_milestone_credit"]}' "$facts" \
      > "fuzz/corpus/serve/explain_${name}_$n"
    printf '\x02{"facts": %s, "decision": "spend_milestone_credit", "as_of": "2026-11-30"}' "$facts" \
      > "fuzz/corpus/serve/whatif_${name}_$n"
  done < "$f"
  { printf '\x03'; cat "$f"; } > "fuzz/corpus/serve/batch_$name"
done
# Inputs that once failed, kept as regressions (see FUZZING.md).
for d in fuzz/regressions/*/; do
  [ -d "$d" ] && seed "$(basename "$d")" "$d"*
done
true
