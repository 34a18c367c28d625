#!/usr/bin/env bash
# Issue 5's upper-bound experiment (session 14): the peer rules compiled to Swift closures
# (vm/closure/Closures.swift) against this tree's VM, in one invocation. Builds the eval harness
# of vm.sh with vm/closure/main.swift and Closures.swift, compiles rules/ with SENTINEL, checks
# that the closures' rule results equal the VM's on every event, then times VM and closures
# alternating pass by pass in one process (mode `both`: medians of each and of the per-pair
# ratio), ROUNDS processes, on EVENTS events × PASSES passes and on 500 events × WARM_PASSES.
# Usage: bash bench/peer-workload/closure.sh
#        (SENTINEL=…, OUT=…, EVENTS=50000 PASSES=10 WARM_PASSES=400 ROUNDS=5)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT=${OUT:-$ROOT/.build/peer-closure}
mkdir -p "$OUT"
SENTINEL=${SENTINEL:-$ROOT/.build/release/sentinel}
EVENTS=${EVENTS:-50000}
PASSES=${PASSES:-10}
WARM_PASSES=${WARM_PASSES:-400}
ROUNDS=${ROUNDS:-5}
bash "$HERE/gen.sh" "$ROOT/.build/peer-workload"
"$SENTINEL" compile "$HERE/rules" -o "$OUT/peer.sbc" >/dev/null
source "$HERE/harness.sh"
build_eval_harness "$OUT/harness" "$ROOT"
cp "$HERE/vm/closure/main.swift" "$OUT/harness/Sources/evalbench/main.swift"
cp "$HERE/vm/closure/Closures.swift" "$OUT/harness/Sources/evalbench/Closures.swift"
(cd "$OUT/harness" && swift build -c release >/dev/null)
BIN=$OUT/harness/.build/release/evalbench
JSONL=$ROOT/.build/peer-workload/events.jsonl
"$BIN" "$OUT/peer.sbc" "$JSONL" "$EVENTS" 1 dump
"$BIN" "$OUT/peer.sbc" "$JSONL" "$EVENTS" 1 check
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M:%S) UTC"
for round in $(seq "$ROUNDS"); do
  echo "== round $round, $("$BIN" "$OUT/peer.sbc" "$JSONL" "$EVENTS" "$PASSES" both)"
done
for round in $(seq "$ROUNDS"); do
  echo "== round $round, $("$BIN" "$OUT/peer.sbc" "$JSONL" 500 "$WARM_PASSES" both)"
done
echo "end: load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M:%S) UTC"
