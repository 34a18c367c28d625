#!/usr/bin/env bash
# Benchmark: sanctions screening quality and speed (release build).
#   1. `sentinel screen --benchmark`: recall per variation class, false-positive rate on the
#      negatives and queries/s, against the benchmark's candidate pool and against the full SDN list;
#   2. load + index CPU time of the full list, and the CPU-time throughput of a batch of queries
#      (--queries, JSON lines out) against the full list.
# Usage: bench/screening.sh [THRESHOLD]
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-}
swift build -c release --product sentinel >/dev/null
S=.build/release/sentinel
LIST=fixtures/sanctions/sdn.csv
BENCH=fixtures/sanctions/screening-benchmark.json
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "command: $S screen --list $LIST --benchmark $BENCH ${T:+--threshold $T}"
echo
"$S" screen --list "$LIST" --benchmark "$BENCH" ${T:+--threshold "$T"} 2>/dev/null
mkdir -p .build/bench
python3 - "$BENCH" > .build/bench/queries.jsonl <<'PY'
import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
for _ in range(3):
    for c in cases:
        print(json.dumps({"query": c["query"]}))
PY
N=$(wc -l < .build/bench/queries.jsonl)
# CPU time (user), not wall time: the machine may be shared with builds.
cpu() { /usr/bin/time -f %U "$@" 2>&1 >/dev/null | tail -n 1; }
load=$(cpu "$S" screen --list "$LIST" "warm up")
batch=$(cpu "$S" screen --list "$LIST" --json --queries .build/bench/queries.jsonl ${T:+--threshold "$T"})
python3 -c "
load, batch, n = $load, $batch, $N
print(f'load + index + 1 query (one process): {load:.2f} s CPU')
print(f'{n} queries via --queries, JSON out: {batch:.2f} s CPU incl. load -> {n / max(1e-9, batch - load):.0f} queries per CPU second')
"

# 3. Bundle load with a screening list: the reference rules (the SDN list in section 9, its index
#    built by BundleLoader) against the same rules without the list and its rule, in the same run.
#    `sentinel replay` of an empty corpus: load + verify (+ index) and nothing else.
B=.build/bench
rm -rf "$B/noscreen" && mkdir -p "$B/noscreen"
python3 - rules/reference.rules > "$B/noscreen/reference.rules" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r'\nlist sdn from [^\n]*\n', '\n', text)
text = re.sub(r'\nrule sanctioned_beneficiary \{.*?\n\}\n', '\n', text, flags=re.S)
print(text)
PY
cp rules/seed.yaml "$B/noscreen/"
"$S" compile rules/ -o "$B/with-screening.sbc" >/dev/null
"$S" compile "$B/noscreen" -o "$B/without-screening.sbc" >/dev/null
: > "$B/empty.jsonl"
with=$(cpu "$S" replay --rules "$B/with-screening.sbc" "$B/empty.jsonl")
without=$(cpu "$S" replay --rules "$B/without-screening.sbc" "$B/empty.jsonl")
python3 -c "
w, wo = $with, $without
print(f'bundle load (replay of an empty corpus): with the SDN screening list {w:.2f} s CPU, without {wo:.2f} s -> the list costs {w - wo:.2f} s')
print('bundle sizes: ' + ', '.join(f'{n} {s} bytes' for n, s in [('with', $(stat -c %s "$B/with-screening.sbc")), ('without', $(stat -c %s "$B/without-screening.sbc"))]))
"
