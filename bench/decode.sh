#!/usr/bin/env bash
# Event decoding benchmark: SentinelIQ's EventDecoder vs Foundation's JSONDecoder and
# JSONSerialization on the reference corpus scaled to ~100k events (release build, package-benchmark).
# Usage: bash bench/decode.sh [extra `swift package benchmark` arguments, e.g. --format markdown]
# Metrics marked `*` are per event (scaling factor 1,000 events per iteration): throughput in
# events/s, mallocs per event, wall clock in ns per event.
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(swift --version 2>&1 | head -1)"
exec swift package --disable-sandbox benchmark --target EventDecoding --no-progress "$@"
