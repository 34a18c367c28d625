#!/usr/bin/env bash
# Event decoding speed, base tree vs this tree, in one invocation: builds a small release harness
# (decode-peer/main.swift) from each tree's SentinelModel and EventDecoder*.swift files only (no
# state/screening/daemon targets, so it builds in minutes, not sentinel's tens of minutes), then
# decodes the peer workload's events (bench/peer-workload, 33 flat fields; the slots its rules
# read) and the reference corpus (fixtures/reference-corpus, all 16 slots of the reference schema,
# rejected lines included) with each tree's harness in turn, ROUNDS times alternating (so both see
# the same machine load). Prints thread CPU ns/event, allocations/event and a digest of every
# decoded outcome (event id + rendered slots, or the error's kind, field, text, id and offset):
# base and new must print the same digest — the differential test at scale.
# Usage: bash bench/decode-peer.sh [BASE_REF]   (default main; BASE_TREE=DIR to use a checkout;
#        NEW_TREE=DIR for another tree than this one; PASSES=5 REF_PASSES=100 ROUNDS=3)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT=$ROOT/.build/decode-peer
mkdir -p "$OUT"
BASE_REF=${1:-main}
NEW_TREE=${NEW_TREE:-$ROOT}
source "$ROOT/bench/base-tree.sh"
PASSES=${PASSES:-5}
REF_PASSES=${REF_PASSES:-100}
ROUNDS=${ROUNDS:-3}
bash "$ROOT/bench/peer-workload/gen.sh" "$ROOT/.build/peer-workload"

build() { # label tree
  local label=$1 tree=$2 pkg=$OUT/harness-$1
  mkdir -p "$pkg/Sources/decodebench" "$pkg/Sources/SentinelEventDecoder"  # .build kept: reruns are incremental
  cp "$HERE/decode-peer/Package.swift.in" "$pkg/Package.swift"
  cp "$HERE/decode-peer/main.swift" "$pkg/Sources/decodebench/main.swift"
  ln -sfn "$tree/Sources/SentinelModel" "$pkg/Sources/SentinelModel"
  ln -sfn "$ROOT/Sources/CMallocCounter" "$pkg/Sources/CMallocCounter"
  rm -f "$pkg"/Sources/SentinelEventDecoder/*.swift
  for f in "$tree"/Sources/SentinelRuntime/EventDecoder*.swift; do
    ln -sfn "$f" "$pkg/Sources/SentinelEventDecoder/$(basename "$f")"
  done
  (cd "$pkg" && swift build -c release >/dev/null)
}
build base "$BASE_TREE"
build new "$NEW_TREE"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "base: $BASE_TREE ($BASE_REF), new: $NEW_TREE ($(git -C "$NEW_TREE" rev-parse --short HEAD 2>/dev/null || echo "not a checkout")$(git -C "$NEW_TREE" diff --quiet HEAD -- Sources 2>/dev/null || echo ' + uncommitted changes'))"
for round in $(seq "$ROUNDS"); do
  for label in base new; do
    bin=$OUT/harness-$label/.build/release/decodebench
    echo "== round $round, $label, peer:      $("$bin" "$ROOT/bench/peer-workload/rules/peer.rules" \
      "$ROOT/.build/peer-workload/events.jsonl" "$PASSES")"
    echo "== round $round, $label, reference: $("$bin" reference "$ROOT/fixtures/reference-corpus/events.jsonl" \
      "$REF_PASSES")"
  done
done
