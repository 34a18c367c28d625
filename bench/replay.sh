#!/usr/bin/env bash
# Replay throughput: the reference corpus scaled to ~100k events (bench/scale_corpus.py: N copies
# with renamed ids and shifted time), replayed with the reference rules in one invocation:
#   1. in memory (the default state store)
#   2. SQLite (WAL, synchronous=FULL, group commit of --batch events per transaction; each commit
#      on a second thread while the next batch is decided), then the same with --no-pipeline
#   3. SQLite again on the same database: every event is already decided (the crash-recovery path)
#   4. baseline: the same events through the stateless part of the rules (no aggregates), in memory
#   5. the disk's synchronous-write latency (dd oflag=dsync), which bounds a commit
# Each run also reports its CPU time (user + system), less disturbed by a busy machine than wall,
# and what it wrote to storage (WAL, checkpoints, output).
# Every run's output is checked against the scaled expected decisions (runs 1 and 2) before its
# figure counts. Usage: bash bench/replay.sh [COPIES=35] [BATCH=1000]
# With BASE_SENTINEL=<another build's sentinel>, runs 1 and 2 are also timed with that build, in
# the same invocation (before/after comparisons on a shared, noisy machine), on the bundle that
# build compiles itself (an older build may not read a newer bundle format).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "bench/replay.sh needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }
copies=${1:-35}
batch=${2:-1000}
swift build -c release --product sentinel >/dev/null
S=.build/release/sentinel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/scale_corpus.py "$copies" fixtures/reference-corpus/events.jsonl \
  fixtures/reference-corpus/decisions.jsonl "$work/events.jsonl" "$work/expected.jsonl"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(swift --version 2>&1 | head -1)"
echo "corpus: $(wc -l <"$work/events.jsonl") lines ($copies copies of the reference corpus)"
$S compile rules/ -o "$work/rules.sbc" >/dev/null
# The stateless rules only: the reference rules without aggregates and the rules reading them.
mkdir -p "$work/stateless"
cp rules/seed.yaml "$work/stateless/"
python3 - "$work/stateless/stateless.rules" <<'PY'
import re, sys
import os
# List files are named relative to the declaring file: point them back at the repository.
text = open("rules/reference.rules").read().replace('from "../', 'from "' + os.getcwd() + '/')
blocks = re.split(r"\n(?=(?:aggregate|rule|list|condition|//) )", text)
keep = [b for b in blocks if not b.startswith("aggregate")
        and not (b.startswith("rule") and re.search(r"_1m|_10m|_24h|_1h|last_geo|known_devices|transaction_amounts", b))]
open(sys.argv[1], "w").write("\n".join(keep))
PY
$S compile "$work/stateless" -o "$work/stateless.sbc" >/dev/null
check() {
  python3 - "$work/expected.jsonl" "$1" <<'PY'
import json, sys
bad = 0
for e, g in zip(open(sys.argv[1]), open(sys.argv[2])):
    e, g = json.loads(e), json.loads(g)
    if "error" in e or "error" in g:
        bad += ("error" in e) != ("error" in g) or e.get("event_id") != g.get("event_id")
    else:
        bad += e != g
print(f"  decisions checked: {bad} mismatches")
sys.exit(1 if bad else 0)
PY
}
cpu() { # label command…: the command's first summary line, its threads' CPU and its CPU time
  local label=$1
  shift
  /usr/bin/time -f "%U %S %O" -o "$work/time.txt" "$@" 2>"$work/err.txt" || true
  head -1 "$work/err.txt"
  # Builds since session 9 also give each thread's CPU time (and the commit thread's waits).
  grep "CPU by thread" "$work/err.txt" || true
  # %O: the process's file-system writes in 512-byte blocks (/proc/PID/io write_bytes).
  read -r user system blocks <"$work/time.txt"
  echo "  CPU: $user s user, $system s system; written to storage: $((blocks / 2048)) MiB"
}
echo "== in memory"
cpu memory $S replay --rules "$work/rules.sbc" "$work/events.jsonl" -o "$work/memory.jsonl"
check "$work/memory.jsonl"
echo "== SQLite, batch $batch"
cpu sqlite $S replay --rules "$work/rules.sbc" --state "$work/state.db" --batch "$batch" "$work/events.jsonl" \
  -o "$work/sqlite.jsonl"
check "$work/sqlite.jsonl"
cmp -s "$work/memory.jsonl" "$work/sqlite.jsonl" && echo "  memory and SQLite outputs are identical"
echo "== SQLite, batch $batch, --no-pipeline (each commit on the deciding thread, as before the pipeline)"
cpu sqlite-sequential $S replay --rules "$work/rules.sbc" --state "$work/state-seq.db" --batch "$batch" \
  --no-pipeline "$work/events.jsonl" -o "$work/sqlite-seq.jsonl"
cmp -s "$work/sqlite.jsonl" "$work/sqlite-seq.jsonl" && echo "  output identical to the pipelined run"
echo "== SQLite again, same database (every event already decided)"
cpu rerun $S replay --rules "$work/rules.sbc" --state "$work/state.db" --batch "$batch" "$work/events.jsonl" \
  -o "$work/rerun.jsonl"
cmp -s "$work/memory.jsonl" "$work/rerun.jsonl" && echo "  output identical to the first run"
if [ -n "${BASE_SENTINEL:-}" ]; then
  "$BASE_SENTINEL" compile rules/ -o "$work/base-rules.sbc" >/dev/null
  echo "== BASE ($BASE_SENTINEL), in memory"
  cpu base-memory "$BASE_SENTINEL" replay --rules "$work/base-rules.sbc" "$work/events.jsonl" -o "$work/base-memory.jsonl"
  check "$work/base-memory.jsonl"
  echo "== BASE, SQLite, batch $batch"
  cpu base-sqlite "$BASE_SENTINEL" replay --rules "$work/base-rules.sbc" --state "$work/base-state.db" --batch "$batch" \
    "$work/events.jsonl" -o "$work/base-sqlite.jsonl"
  check "$work/base-sqlite.jsonl"
fi
echo "== baseline: stateless rules only, in memory"
cpu stateless $S replay --rules "$work/stateless.sbc" "$work/events.jsonl" -o "$work/stateless.jsonl"
echo "== disk: 200 synchronous 4 KiB writes (dd oflag=dsync)"
dd if=/dev/zero of="$work/dsync" bs=4k count=200 oflag=dsync 2>&1 | tail -1
