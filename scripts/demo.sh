#!/usr/bin/env bash
# `make demo`, the pipeline tour: compile the reference rules into a verified
# bundle, replay the reference corpus through it with state (in memory and on SQLite) and check
# every decision against the golden fixtures, explain an event, evaluate example CEL
# expressions through the whole pipeline, and run the CEL conformance suite.
set -euo pipefail
S=${1:-.build/release/sentinel}
run() { printf '$ sentinel %s\n' "$*"; "$S" "$@"; echo; }
mkdir -p .build
run check rules/
run compile rules/ -o .build/reference.sbc
run test fixtures/ --rules .build/reference.sbc
run replay --rules .build/reference.sbc fixtures/reference-corpus/events.jsonl -o .build/decisions.jsonl
run explain --rules rules/ --event '{"event_id":"e-1","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u-42","amount":9500,"country_code":"GB","card_country":"KP","merchant_category":"6051"}'
run eval '1 + 2 * 3'
run eval '[1, 2, 3].map(n, n * n).filter(n, n > 1)' --type
run eval 'e.amount > 1000.0 && e.country in ["KP", "IR"]' --var 'e={"amount": 9500.0, "country": "KP"}'
run eval 'timestamp("2026-11-25T10:00:00Z").getHours("Asia/Tokyo")'
printf '$ sentinel eval %s\n' "'9223372036854775807 + 1'"
"$S" eval '9223372036854775807 + 1' || echo "(an error value: exit status 1)"
echo
run disasm 'x > 10 && [1, 2].exists(y, y == x)' --decl x:int
# One visible core test fails on a known error in the converted test data (docs/cel.md), so the
# suite's non-zero status is reported, not fatal, here; `make test` enforces the threshold.
printf '$ sentinel conformance fixtures/cel-conformance\n'
"$S" conformance fixtures/cel-conformance || echo "(see docs/cel.md for the one known data error)"
