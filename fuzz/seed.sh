#!/usr/bin/env bash
# Fills fuzz/corpus/TARGET/ with the repository's own inputs as seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in parse check facts_yaml facts_json eval; do mkdir -p "fuzz/corpus/$t"; done
cp policies/*.credo tests/cases/semantics/*.credo tests/cases/check/*.credo fuzz/corpus/parse/
cp policies/*.credo tests/cases/semantics/*.credo tests/cases/check/*.credo fuzz/corpus/check/
cp policies/examples/*.yaml tests/cases/semantics/*.yaml fuzz/corpus/facts_yaml/
cp policies/examples/*.json fuzz/corpus/facts_json/
for f in tests/cases/semantics/*.yaml; do
  python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1])), default=str))' "$f" \
    > "fuzz/corpus/facts_json/$(basename "$f" .yaml).json" 2>/dev/null || true
done
for f in tests/cases/semantics/*.yaml; do
  { cat "${f%.yaml}.credo"; printf '\n---facts\n'; cat "$f"; } > "fuzz/corpus/eval/$(basename "$f" .yaml)"
done
cp -r fuzz/regressions/. fuzz/corpus/ 2>/dev/null || true
