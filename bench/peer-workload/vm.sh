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
if [ -z "${BASE_TREE:-}" ]; then
  BASE_TREE=$OUT/base-src
  rm -rf "$BASE_TREE" && mkdir -p "$BASE_TREE"
  git -C "$ROOT" archive "$BASE_REF" | tar -x -C "$BASE_TREE"
fi
SENTINEL=${SENTINEL:-$ROOT/.build/release/sentinel}
EVENTS=${EVENTS:-50000}
PASSES=${PASSES:-5}
ROUNDS=${ROUNDS:-3}
bash "$HERE/gen.sh" "$ROOT/.build/peer-workload"
"$SENTINEL" compile "$HERE/rules" -o "$OUT/peer.sbc" >/dev/null

build() { # label tree
  local label=$1 tree=$2 pkg=$OUT/harness-$1
  mkdir -p "$pkg/Sources/evalbench"  # kept between runs: its .build makes reruns incremental
  cp "$HERE/vm/Package.swift.in" "$pkg/Package.swift"
  cp "$HERE/vm/main.swift" "$pkg/Sources/evalbench/main.swift"
  # The runner for the tree's VM API: fused code and a register file kept between runs, where
  # they exist.
  if grep -q "executedProgram" "$tree/Sources/SentinelVerifier/VerifiedProgram.swift"; then
    cp "$HERE/vm/Runner-fused.swift" "$pkg/Sources/evalbench/Runner.swift"
  elif grep -q "struct Registers" "$tree/Sources/SentinelVM/VM.swift"; then
    cp "$HERE/vm/Runner-registers.swift" "$pkg/Sources/evalbench/Runner.swift"
  else
    cp "$HERE/vm/Runner-plain.swift" "$pkg/Sources/evalbench/Runner.swift"
  fi
  for t in SentinelModel SentinelBuiltins SentinelBytecode SentinelVerifier SentinelVM; do
    ln -sfn "$tree/Sources/$t" "$pkg/Sources/$t"
  done
  if [ -d "$tree/Sources/CMallocCounter" ]; then
    ln -sfn "$tree/Sources/CMallocCounter" "$pkg/Sources/CMallocCounter"
  else
    ln -sfn "$ROOT/Sources/CMallocCounter" "$pkg/Sources/CMallocCounter"
  fi
  (cd "$pkg" && swift build -c release >/dev/null)
}
build base "$BASE_TREE"
build new "$NEW_TREE"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base: $BASE_TREE ($BASE_REF), new: $NEW_TREE ($(git -C "$ROOT" rev-parse --short HEAD))"
for round in $(seq "$ROUNDS"); do
  for label in base new; do
    echo "== round $round, $label: $("$OUT/harness-$label/.build/release/evalbench" "$OUT/peer.sbc" \
      "$ROOT/.build/peer-workload/events.jsonl" "$EVENTS" "$PASSES")"
  done
done
