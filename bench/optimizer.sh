#!/usr/bin/env bash
# Optimizer ablation: the same rule sets compiled with no optimization (-O0), with every pass,
# and with every pass but one (--disable-pass NAME), each decided by the release VM
# (bench/vm/main.swift: decode, verify, then 3 fixed events many times; best of 5).
# Bundles do not depend on how `sentinel` itself was built, so a debug build compiles them; only
# the VM harness is built in release (from this tree's runtime sources: quick).
# Usage: bash bench/optimizer.sh            (RUNS=N to change the repetitions; SENTINEL=path)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/.build/bench-optimizer
mkdir -p "$OUT"
SENTINEL=${SENTINEL:-$ROOT/.build/debug/sentinel}
[ -x "$SENTINEL" ] || swift build --product sentinel >/dev/null
RUNS=${RUNS:-2000}
python3 bench/gen_rules.py 3000 > "$OUT/g3k.rules"
python3 bench/gen_rules.py 10000 > "$OUT/g10k.rules"

pkg=$OUT/vmbench
mkdir -p "$pkg/Sources/vmbench"
cp bench/vm/Package.swift.in "$pkg/Package.swift"
cp bench/vm/main.swift "$pkg/Sources/vmbench/main.swift"
for t in SentinelModel SentinelBuiltins SentinelBytecode SentinelVerifier SentinelVM; do
  ln -sfn "$ROOT/Sources/$t" "$pkg/Sources/$t"
done
(cd "$pkg" && swift build -c release >/dev/null)

passes="constant-folding lists-to-sets short-circuit-ordering dead-rule-elimination type-dispatch condition-dedupe"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(swift --version 2>&1 | head -1)"
echo "tree: $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty'), runs: $RUNS"
printf '%-6s %-34s %12s %10s %14s\n' set variant instructions registers "ns/event"
for set in rules g3k g10k; do
  src=$ROOT/rules/
  [ "$set" = rules ] || src=$OUT/$set.rules
  runs=$([ $set = rules ] && echo $((RUNS * 50)) || echo $((RUNS / 4)))
  variant() { # name flags…
    local name=$1
    shift
    "$SENTINEL" compile "$src" -o "$OUT/$set-$name.sbc" "$@" >/dev/null 2>&1
    local out
    out=$("$pkg/.build/release/vmbench" "$OUT/$set-$name.sbc" "$runs")
    local ins regs ns
    ins=$(echo "$out" | sed -n 's/^\([0-9]*\) instructions.*/\1/p')
    regs=$(echo "$out" | sed -n 's/.* \([0-9]*\) registers.*/\1/p')
    ns=$(echo "$out" | sed -n 's/^VM: \([0-9]*\) ns.*/\1/p')
    printf '%-6s %-34s %12s %10s %14s\n' "$set" "$name" "$ins" "$regs" "$ns"
  }
  variant O0 -O0
  variant all
  for p in $passes; do variant "without-$p" --disable-pass "$p"; done
done
