#!/usr/bin/env bash
# VM benchmark: the same rule sets decided by the VM of two source trees — a base (default: the
# `main` branch, exported with `git archive`; or BASE_TREE=DIR, an existing checkout) and this
# working tree — built in release and run in one invocation, so their figures compare.
# Each tree compiles its own bundles (the bytecode formats may differ) with its own `sentinel`;
# bench/vm/main.swift then decodes, verifies and decides 3 fixed events many times per bundle.
# Usage: bash bench/vm.sh [BASE_REF]     (BASE_TREE=DIR to reuse a built base checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/.build/bench
mkdir -p "$OUT"
BASE_REF=${1:-main}
source "$ROOT/bench/base-tree.sh"
RUNS=${RUNS:-2000}
python3 bench/gen_rules.py 3000 > "$OUT/g3k.rules"
python3 bench/gen_rules.py 10000 > "$OUT/g10k.rules"

build() { # label tree
  local label=$1 tree=$2 pkg=$OUT/vmbench-$1
  (cd "$tree" && swift build -c release --product sentinel >/dev/null)
  mkdir -p "$pkg/Sources/vmbench"  # kept between runs: its .build makes reruns incremental
  cp bench/vm/Package.swift.in "$pkg/Package.swift"
  cp bench/vm/main.swift "$pkg/Sources/vmbench/main.swift"
  for t in SentinelModel SentinelBuiltins SentinelBytecode SentinelVerifier SentinelVM; do
    ln -sfn "$tree/Sources/$t" "$pkg/Sources/$t"
  done
  (cd "$pkg" && swift build -c release >/dev/null)
  for set in rules g3k g10k; do
    local src=$ROOT/rules/
    [ "$set" = rules ] || src=$OUT/$set.rules
    "$tree/.build/release/sentinel" compile "$src" -o "$OUT/$set-$label.sbc" >/dev/null 2>&1 \
      || rm -f "$OUT/$set-$label.sbc"
  done
}
build base "$BASE_TREE"
build new "$ROOT"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(swift --version 2>&1 | head -1)"
echo "base: $BASE_TREE ($(cd "$BASE_TREE" && git rev-parse --short HEAD 2>/dev/null || echo "$BASE_REF")), new: $(git rev-parse --short HEAD)"
for set in rules g3k g10k; do
  for label in base new; do
    echo "== $set, $label"
    if [ -f "$OUT/$set-$label.sbc" ]; then
      "$OUT/vmbench-$label/.build/release/vmbench" "$OUT/$set-$label.sbc" "$([ $set = rules ] && echo $((RUNS * 50)) || echo $((RUNS / 4)))"
    else
      echo "does not compile"
    fi
  done
done
