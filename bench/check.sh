#!/usr/bin/env bash
# Benchmark: `sentinel check` on 10,000 generated rules (release build), timed by hyperfine
# when available, else by bash's `time`, against `sentinel check` on the 4-rule reference set
# in the same run (the fixed cost of starting the process). Then compiles the 10,000 rules to a
# bundle and loads it with `sentinel disasm` (digest, decode, verifier: what a daemon does).
# BASE_SENTINEL=PATH also times another build (e.g. the previous bytecode format) in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
swift build -c release --product sentinel >/dev/null
S=.build/release/sentinel
mkdir -p .build/bench
python3 bench/gen_rules.py "$N" > .build/bench/generated.rules
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "rules: $N generated ($(wc -c < .build/bench/generated.rules) bytes)"
timed() { # label command…
  local label=$1
  shift
  echo "== $label"
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    if "$@" > .build/bench/out.txt 2>&1; then status=ok; else status=FAIL; fi
    end=$(date +%s.%N)
    python3 -c "print(f\"{$end - $start:.3f} s  $status  \" + open('.build/bench/out.txt').read().strip().splitlines()[-1][:110])"
  done
}
for bin in ${BASE_SENTINEL:-} "$S"; do
  timed "$bin check rules/" "$bin" check rules/
  timed "$bin check $N generated rules" "$bin" check .build/bench/generated.rules
done
timed "$S compile $N generated rules" "$S" compile .build/bench/generated.rules -o .build/bench/generated.sbc
echo "bundle: $(wc -c < .build/bench/generated.sbc) bytes"
timed "$S disasm (load + verify) the $N-rule bundle" "$S" disasm .build/bench/generated.sbc
