#!/usr/bin/env bash
# Benchmark: sanctions screening quality and speed, building only the screening library (release)
# and a driver around the same BenchmarkRunner as `sentinel screen --benchmark` (bench/screening.sh
# builds the whole `sentinel` first). Usage: bench/screening-quick.sh [THRESHOLD]
set -euo pipefail
cd "$(dirname "$0")/.."
(cd bench/screening-quick && swift build -c release --product screening-bench >/dev/null)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "command: bench/screening-quick/.build/release/screening-bench fixtures/sanctions/sdn.csv fixtures/sanctions/screening-benchmark.json ${1:-}"
echo
bench/screening-quick/.build/release/screening-bench fixtures/sanctions/sdn.csv \
  fixtures/sanctions/screening-benchmark.json ${1:+"$1"}
