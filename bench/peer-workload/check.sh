#!/usr/bin/env bash
# Checks that SentinelIQ decides the peer workload exactly as the peers do: generates the 200,000
# events (peers/gen_events.py, seed 20240601; cached), decides them with `sentinel replay` and the
# rule set in rules/, and compares every decision (event id, action, score, sorted matched rule
# ids) with the expected ones: the SHA-256 in expected-decisions.sha256 (the peers' decisions file,
# identical for all the peers' runners), and line by line with a peers' decisions file when one is
# given (EXPECTED=…/results/cel-expr-python.per-rule.decisions.tsv, as ../shared/bench/peers/run.sh
# writes it).
# Usage: bash bench/peer-workload/check.sh   (SENTINEL=path/to/sentinel, DATA=dir to override)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DATA=${DATA:-$ROOT/.build/peer-workload}
SENTINEL=${SENTINEL:-$ROOT/.build/release/sentinel}
[ -x "$SENTINEL" ] || (cd "$ROOT" && swift build -c release --product sentinel >/dev/null)
bash "$HERE/gen.sh" "$DATA"
"$SENTINEL" replay --quiet --rules "$HERE/rules" "$DATA/events.jsonl" -o "$DATA/sentinel.decisions.jsonl"
python3 "$HERE/to_tsv.py" < "$DATA/sentinel.decisions.jsonl" > "$DATA/sentinel.decisions.tsv"
got=$(sha256sum < "$DATA/sentinel.decisions.tsv" | cut -c1-64)
want=$(cut -c1-64 "$HERE/expected-decisions.sha256")
status=0
if [ -n "${EXPECTED:-}" ]; then
  if cmp -s "$EXPECTED" "$DATA/sentinel.decisions.tsv"; then
    echo "decisions identical to $EXPECTED"
  else
    echo "decisions DIFFER from $EXPECTED (first differences):"
    diff "$EXPECTED" "$DATA/sentinel.decisions.tsv" | head -20 || true
    status=1
  fi
fi
if [ "$got" = "$want" ]; then
  echo "peer workload: $(wc -l < "$DATA/sentinel.decisions.tsv") decisions, SHA-256 $got = expected"
else
  echo "peer workload: decisions SHA-256 $got, expected $want: MISMATCH"
  status=1
fi
exit $status
