#!/usr/bin/env bash
# The main job until the scoring daemon exists: evaluate example CEL expressions through the
# whole pipeline and run the CEL conformance suite.
set -euo pipefail
S=${1:-.build/release/sentinel}
run() { printf '$ sentinel %s\n' "$*"; "$S" "$@" || true; echo; }
run eval '1 + 2 * 3'
run eval '[1, 2, 3].map(n, n * n).filter(n, n > 1)' --type
run eval 'e.amount > 1000.0 && e.country in ["KP", "IR"]' --var 'e={"amount": 9500.0, "country": "KP"}'
run eval 'timestamp("2026-11-25T10:00:00Z").getHours("Asia/Tokyo")'
run eval '9223372036854775807 + 1'
run disasm 'x > 10 && [1, 2].exists(y, y == x)' --decl x:int
"$S" conformance fixtures/cel-conformance
