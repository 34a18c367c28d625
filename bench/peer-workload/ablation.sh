#!/usr/bin/env bash
# Optimizer ablation on the peer workload: rules/ compiled with no optimization (-O0), with every
# pass, and with every pass but one (--disable-pass NAME), each bundle decided by the same release
# harness (vm/main.swift, this tree's Model, Builtins, Bytecode, Verifier and VM: the harness of
# vm.sh) on the first EVENTS peer events. Variants are interleaved within each round so that they
# see the same machine load; the table gives each variant's median CPU ns/event over the rounds.
# Every variant must reach the same decisions (allow/review/block counts and score sum): the
# script fails when one differs — translation validation at the scale of the workload.
# Usage: bash bench/peer-workload/ablation.sh   (SENTINEL=path, default .build/release/sentinel or
#        .build/debug/sentinel; EVENTS=50000 PASSES=3 ROUNDS=3)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT=$ROOT/.build/peer-ablation
mkdir -p "$OUT"
SENTINEL=${SENTINEL:-}
if [ -z "$SENTINEL" ]; then
  for c in "$ROOT/.build/release/sentinel" "$ROOT/.build/debug/sentinel"; do
    [ -x "$c" ] && SENTINEL=$c && break
  done
fi
[ -n "$SENTINEL" ] || { (cd "$ROOT" && swift build --product sentinel >/dev/null) && SENTINEL=$ROOT/.build/debug/sentinel; }
EVENTS=${EVENTS:-50000}
PASSES=${PASSES:-3}
ROUNDS=${ROUNDS:-3}
bash "$HERE/gen.sh" "$ROOT/.build/peer-workload"

source "$HERE/harness.sh"
pkg=$OUT/harness
build_eval_harness "$pkg" "$ROOT"
bench=$pkg/.build/release/evalbench

passes="constant-folding lists-to-sets short-circuit-ordering dead-rule-elimination type-dispatch condition-dedupe"
variants="O0 all"
"$SENTINEL" compile "$HERE/rules" -O0 -o "$OUT/O0.sbc" >/dev/null
"$SENTINEL" compile "$HERE/rules" -o "$OUT/all.sbc" >/dev/null
for p in $passes; do
  "$SENTINEL" compile "$HERE/rules" --disable-pass "$p" -o "$OUT/no-$p.sbc" >/dev/null
  variants="$variants no-$p"
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tree: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+dirty'), events: $EVENTS, passes: $PASSES, rounds: $ROUNDS"
: > "$OUT/runs.txt"
for round in $(seq "$ROUNDS"); do
  for v in $variants; do
    line=$("$bench" "$OUT/$v.sbc" "$ROOT/.build/peer-workload/events.jsonl" "$EVENTS" "$PASSES")
    echo "round $round $v: $line"
    echo "$v|$line" >> "$OUT/runs.txt"
  done
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$OUT/runs.txt" <<'PYEOF'
import re, sys, statistics
rows, decisions, order = {}, {}, []
for line in open(sys.argv[1]):
    v, out = line.rstrip("\n").split("|", 1)
    m = re.search(r"(\d+) instructions \((\d+) run\).*?, ([\d.]+) ns/event CPU.*?([\d.]+) allocations/event; allow/review/block (\d+/\d+/\d+), score sum (\d+)", out)
    if not m:
        sys.exit("cannot parse: " + out)
    if v not in rows:
        order.append(v)
    rows.setdefault(v, []).append((int(m.group(1)), int(m.group(2)), float(m.group(3)), float(m.group(4))))
    decisions.setdefault(v, set()).add((m.group(5), m.group(6)))
base = statistics.median(r[2] for r in rows["all"])
print("| variant | instructions | after load-time fusion | CPU ns/event (median) | × all passes | allocations/event |")
print("|---|--:|--:|--:|--:|--:|")
for v in order:
    r = rows[v]
    ns = statistics.median(x[2] for x in r)
    print("| %s | %d | %d | %.0f | %.2f | %.2f |" % (v, r[0][0], r[0][1], ns, ns / base, r[0][3]))
kinds = set().union(*decisions.values())
print("decisions (allow/review/block, score sum): " + "; ".join("%s %s" % k for k in sorted(kinds)))
if len(kinds) != 1:
    sys.exit("!! variants disagree on the decisions: " + repr(decisions))
print("every variant reached the same decisions")
PYEOF
