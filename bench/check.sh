#!/usr/bin/env bash
# Benchmark: `sentinel check` on 10,000 generated rules (release build), timed by hyperfine
# when available, else by bash's `time`, against `sentinel check` on the 4-rule reference set
# in the same run (the fixed cost of starting the process).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
swift build -c release --product sentinel >/dev/null
S=.build/release/sentinel
mkdir -p .build/bench
python3 bench/gen_rules.py "$N" > .build/bench/generated.rules
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "rules: $N generated ($(wc -c < .build/bench/generated.rules) bytes)"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs 5 "$S check rules/" "$S check .build/bench/generated.rules"
else
  for target in rules/ .build/bench/generated.rules; do
    echo "== sentinel check $target"
    for _ in 1 2 3; do
      start=$(date +%s.%N)
      "$S" check "$target" >/dev/null
      end=$(date +%s.%N)
      python3 -c "print(f\"{$end - $start:.3f} s\")"
    done
  done
fi
