#!/usr/bin/env bash
# Evaluation speed on the peer workload, base tree vs this tree, in one invocation: builds a small
# release harness (vm/main.swift) from each tree's Model, Builtins, Bytecode, Verifier and VM —
# no daemon or state targets, so it builds quickly — compiles rules/ once with SENTINEL, then
# times "VM run + decision" over the first EVENTS events, each tree's harness in turn, ROUNDS
# times alternating (so both see the same machine load).
# Usage: bash bench/peer-workload/vm.sh [BASE_REF]   (default main; BASE_TREE=DIR to use a
#        checkout; NEW_TREE=DIR for another tree than this one; EVENTS=50000 PASSES=5 ROUNDS=3)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT=$ROOT/.build/peer-vm
mkdir -p "$OUT"
BASE_REF=${1:-main}
NEW_TREE=${NEW_TREE:-$ROOT}
source "$ROOT/bench/base-tree.sh"
SENTINEL=${SENTINEL:-$ROOT/.build/release/sentinel}
EVENTS=${EVENTS:-50000}
PASSES=${PASSES:-5}
ROUNDS=${ROUNDS:-3}
bash "$HERE/gen.sh" "$ROOT/.build/peer-workload"
"$SENTINEL" compile "$HERE/rules" -o "$OUT/peer.sbc" >/dev/null

source "$HERE/harness.sh"
build_eval_harness "$OUT/harness-base" "$BASE_TREE"
build_eval_harness "$OUT/harness-new" "$NEW_TREE"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base: $BASE_TREE ($BASE_REF), new: $NEW_TREE ($(git -C "$NEW_TREE" rev-parse --short HEAD 2>/dev/null || echo "not a checkout"))"
for round in $(seq "$ROUNDS"); do
  for label in base new; do
    echo "== round $round, $label: $("$OUT/harness-$label/.build/release/evalbench" "$OUT/peer.sbc" \
      "$ROOT/.build/peer-workload/events.jsonl" "$EVENTS" "$PASSES")"
  done
done
