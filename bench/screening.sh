#!/usr/bin/env bash
# Benchmark: sanctions screening quality and speed (release build).
#   1. `sentinel screen --benchmark`: recall per variation class, false-positive rate on the
#      negatives and queries/s, against the benchmark's candidate pool and against the full SDN list;
#   2. load + index time of the full list, and screening throughput of a batch of queries
#      (--queries, JSON lines) against the full list, process start included.
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
t0=$(date +%s.%N)
"$S" screen --list "$LIST" "warm up" >/dev/null 2>&1
t1=$(date +%s.%N)
"$S" screen --list "$LIST" --json --queries .build/bench/queries.jsonl ${T:+--threshold "$T"} >/dev/null 2>&1
t2=$(date +%s.%N)
python3 -c "
load = $t1 - $t0
batch = $t2 - $t1
print(f'load + index + 1 query (process): {load:.3f} s')
print(f'{$N} queries via --queries (JSON out, process incl. load): {batch:.3f} s -> {$N / max(1e-9, batch - load):.0f} queries/s after load')
"
