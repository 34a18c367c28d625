#!/usr/bin/env bash
# The audit chain's cost and speed (release build), on the reference corpus scaled to ~100k
# events (bench/scale_corpus.py) replayed into SQLite (synchronous=FULL, --batch events per commit):
#   1. replay into a fresh database: the commit path now hashes and chains every decision
#      (with BASELINE=path/to/an/older/sentinel, the same replay with that binary first, for
#      the cost of the chain: compare the two CPU times)
#   2. sentinel audit verify: records verified per second
#   3. sentinel audit export (signed checkpoint, 100k-record segments): records exported per second
#   4. sentinel audit prune --keep-days 0: every record pruned (ids kept for deduplication)
# Each run reports wall and CPU time (user + system; less disturbed by a busy machine than wall).
# Usage: bash bench/audit.sh [COPIES=35] [BATCH=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "bench/audit.sh needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }
copies=${1:-35}
batch=${2:-1000}
swift build -c release --product sentinel >/dev/null
S=$PWD/.build/release/sentinel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/scale_corpus.py "$copies" fixtures/reference-corpus/events.jsonl \
  fixtures/reference-corpus/decisions.jsonl "$work/events.jsonl" "$work/expected.jsonl"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(swift --version 2>&1 | head -1)"
echo "corpus: $(wc -l <"$work/events.jsonl") lines ($copies copies of the reference corpus), batch $batch"
$S compile rules/ -o "$work/rules.sbc" >/dev/null
run() { # label command…: wall and CPU time, and the command's first output line
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt" || {
    echo "$label failed:"; cat "$work/out.txt" "$work/err.txt"; exit 1; }
  read -r wall user sys <"$work/time.txt"
  printf "  %-28s wall %6.2f s, CPU %6.2f s (user %.2f, system %.2f)\n" "$label" "$wall" \
    "$(echo "$user + $sys" | bc)" "$user" "$sys"
}
rate() { # records seconds
  python3 -c "import sys; print(f'  → {int(sys.argv[1]) / max(float(sys.argv[2]), 1e-9):,.0f} records/s (wall)')" "$1" "$2"
}
if [ -n "${BASELINE:-}" ]; then
  echo "== replay into SQLite with BASELINE=$BASELINE"
  run "replay (baseline)" "$BASELINE" replay --rules "$work/rules.sbc" --state "$work/base.db" --batch "$batch" \
    --quiet "$work/events.jsonl" -o "$work/base.jsonl"
fi
echo "== replay into SQLite (chained)"
run "replay (audit chain)" $S replay --rules "$work/rules.sbc" --state "$work/state.db" --batch "$batch" \
  --quiet "$work/events.jsonl" -o "$work/decisions.jsonl"
records=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from decision').fetchone()[0])" "$work/state.db")
echo "  decisions stored: $records"
echo "== audit verify"
run "verify" $S audit verify --db "$work/state.db"
head -1 "$work/out.txt" | sed 's/^/  /'
rate "$records" "$(cut -d' ' -f1 "$work/time.txt")"
echo "== audit export (signed)"
$S keygen --out "$work/audit" >/dev/null 2>&1
run "export" $S audit export --db "$work/state.db" --out "$work/archive" --key "$work/audit.key"
head -1 "$work/out.txt" | sed 's/^/  /'
rate "$records" "$(cut -d' ' -f1 "$work/time.txt")"
echo "  archive size: $(du -sh "$work/archive" | cut -f1), database: $(du -sh "$work/state.db" | cut -f1)"
echo "== audit verify against the signed checkpoint"
run "verify --checkpoint" $S audit verify --db "$work/state.db" --checkpoint "$work/archive/checkpoint.json" \
  --public-key "$work/audit.pub"
echo "== audit prune --keep-days 0"
run "prune" $S audit prune --db "$work/state.db" --keep-days 0
head -1 "$work/out.txt" | sed 's/^/  /'
