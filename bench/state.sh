#!/usr/bin/env bash
# SQLite state-store commit throughput (release build): batches of 1, 100 and 1,000 events, each
# event = 3 aggregate-state upserts + 1 decision, synchronous=FULL (an fsync per commit); then
# decisionLine and loadState lookups per second.
# Usage: bash bench/state.sh [directory for the database files; default: the temporary directory]
# The disk matters more than the CPU here: give the directory the daemon would use.
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(swift --version 2>&1 | head -1)"
swift build -c release --product StateCommit >/dev/null
exec .build/release/StateCommit "$@"
