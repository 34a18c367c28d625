#!/usr/bin/env bash
# Redis Streams throughput: events/s from an input stream to a durable decision (committed in
# SQLite with synchronous=FULL, published to the output stream, acknowledged), in one run with:
#   1. the ceiling: redis-benchmark XADD of a typical event to a stream (pipelined)
#   2. sentinel produce: the scaled corpus to the input stream (pipelined XADD)
#   3. sentinel consume: from a full stream until every entry is decided and acknowledged
#   4. baseline: sentinel replay --state of the same events (the same decision path, no Redis)
# The corpus is the reference corpus scaled by bench/scale_corpus.py (COPIES copies with renamed
# ids and shifted time); the published decisions are checked against the scaled expected
# decisions before the figure counts. Each consume prints events/s over its wall time (start-up
# included: loading the rules and the screening index) and, from the consumer's stop line, over
# the time from its first read to its last XACK. A private redis-server runs on a free loopback port
# (no persistence: Redis durability is not what is measured).
# Usage: bash bench/streams.sh [COPIES=20] [BATCH=512]   (SENTINEL=binary to skip the release build)
# With BASE_SENTINEL=<another build's sentinel>, step 3 is also run with that build (its own
# consumer group, output stream and database, same input stream) and then with this build again,
# in the same invocation: before/after comparisons on a shared, noisy machine. When this build's
# consume has --no-pipeline, step 3 also runs with it (same binary, commits on the consumer's thread).
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-20}
batch=${2:-512}
command -v redis-server >/dev/null || { echo "bench/streams.sh needs redis-server (Debian: redis-server)" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "bench/streams.sh needs redis-benchmark (Debian: redis-tools)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench/streams.sh needs /usr/bin/time (Debian: time)" >&2; exit 1; }
# SENTINEL=path/to/sentinel uses that binary instead of building release (say so with the figures).
if [ -n "${SENTINEL:-}" ]; then S=$SENTINEL; else
  swift build -c release --product sentinel >/dev/null
  S=$PWD/.build/release/sentinel
fi
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >/dev/null &
rpid=$!
cpid=""
trap 'kill $rpid 2>/dev/null; [ -n "$cpid" ] && kill -9 $cpid 2>/dev/null; rm -rf "$work"' EXIT
R="redis-cli -p $port"
for _ in $(seq 100); do $R ping >/dev/null 2>&1 && break; sleep 0.05; done
python3 bench/scale_corpus.py "$copies" fixtures/reference-corpus/events.jsonl \
  fixtures/reference-corpus/decisions.jsonl "$work/events.jsonl" "$work/expected.jsonl"
events=$(wc -l <"$work/events.jsonl")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $($(command -v redis-server) --version | cut -d' ' -f3)"
echo "corpus: $events lines ($copies copies of the reference corpus)"
$S compile rules/ -o "$work/rules.sbc" >/dev/null

echo "== ceiling: redis-benchmark XADD (200,000 entries, pipeline 64, one typical event)"
payload=$(sed -n 1p "$work/events.jsonl")
redis-benchmark -p "$port" -q -n 200000 -P 64 XADD ceiling '*' event "$payload" | tr '\r' '\n' | grep -a 'XADD' | tail -1
$R del ceiling >/dev/null

echo "== sentinel produce (pipelined XADD of the corpus)"
start=$(date +%s.%N)
$S produce --redis "redis://127.0.0.1:$port" --stream events "$work/events.jsonl"
end=$(date +%s.%N)
python3 -c "print(f'  {$events/($end-$start):,.0f} events/s ({$end-$start:.2f} s)')"

# redis-server's CPU time so far (user + system, clock ticks of 1/100 s, from /proc).
redis_cpu() { awk '{ print $14 + $15 }' "/proc/$rpid/stat"; }

# consume LABEL BINARY GROUP OUTPUT DB [ARGS…]: one consumer from a full stream until its group has read
# every entry and nothing is pending; then its published decisions are checked.
consume() {
  local label=$1 bin=$2 group=$3 output=$4 db=$5
  shift 5
  echo "== $label: sentinel consume, batch $batch (stream → SQLite commit → XADD decisions → XACK)"
  local start end rcpu0 rcpu1
  rcpu0=$(redis_cpu)
  start=$(date +%s.%N)
  /usr/bin/time -f "  CPU: %U s user, %S s system" -o "$work/time.txt" \
    "$bin" consume --redis "redis://127.0.0.1:$port" --rules "$work/rules.sbc" --db "$db" \
    --stream events --group "$group" --output "$output" --batch "$batch" --consumer bench "$@" 2>"$work/consume.log" &
  cpid=$!
  # Done when the group has read every entry and nothing is pending (polled every 10 ms on one
  # connection: a redis-cli per poll took CPU from the consumer being measured).
  if ! end=$(python3 bench/streams_wait.py "$port" events "$group" $cpid); then
    echo "consumer exited:"; cat "$work/consume.log"; exit 1
  fi
  rcpu1=$(redis_cpu)
  # SIGTERM to the consumer itself (not to /usr/bin/time, which then reports its CPU time).
  pkill -TERM -P $cpid || kill -TERM $cpid
  wait $cpid || true
  cpid=""
  python3 -c "print(f'  {$events/($end-$start):,.0f} events/s ({$end-$start:.2f} s, start-up included)')"
  cat "$work/time.txt"
  python3 -c "print(f'  redis-server CPU while consuming: {($rcpu1-$rcpu0)/100:.2f} s')"
  # Builds since session 9 give each thread's CPU time in the stop line (docs/operations.md).
  grep "consumer stopped" "$work/consume.log" | grep -oE '\b(c[a-z_]*_s|redis[a-z_]*_s|batches|commits|read_to_ack_s)=[0-9.]*' | tr '\n' ' ' |
    sed 's/^\(.\)/  threads: \1/; s/ $/\n/' || true
  # Builds since session 12: the time from the first read to the last acknowledgement (without
  # the process's start-up: loading the rules and the screening index, opening the database).
  consuming=$(grep "consumer stopped" "$work/consume.log" | grep -oE '\bread_to_ack_s=[0-9.]*' | cut -d= -f2 || true)
  if [ -n "$consuming" ]; then
    python3 -c "print(f'  {$events/$consuming:,.0f} events/s from the first read to the last XACK ({$consuming} s)')"
  fi
  $R --raw xrange "$output" - + | grep -a '^{' >"$work/published.jsonl" || true
  python3 - "$work/expected.jsonl" "$work/published.jsonl" <<'PY'
import json, sys
expected, seen = [], set()
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "error" in d or d["event_id"] in seen:
        continue
    seen.add(d["event_id"])
    expected.append(d)
got = [json.loads(l) for l in open(sys.argv[2])]
bad = sum(e != g for e, g in zip(expected, got)) + abs(len(expected) - len(got))
print(f"  published decisions checked: {len(got)} of {len(expected)}, {bad} mismatches")
sys.exit(1 if bad else 0)
PY
}
consume "this build" "$S" sentinel decisions "$work/state.db"
if [ -n "${BASE_SENTINEL:-}" ]; then
  consume "BASE ($BASE_SENTINEL)" "$BASE_SENTINEL" sentinel-base decisions-base "$work/base-state.db"
  consume "this build again" "$S" sentinel-again decisions-again "$work/state-again.db"
fi
consume_help=$("$S" consume --help 2>&1 || true)
if [[ $consume_help == *--no-pipeline* ]]; then
  consume "this build, --no-pipeline" "$S" sentinel-nopipe decisions-nopipe "$work/state-nopipe.db" --no-pipeline
fi

echo "== baseline: sentinel replay --state, batch $batch (no Redis)"
/usr/bin/time -f "  CPU: %U s user, %S s system" -o "$work/time.txt" \
  $S replay --rules "$work/rules.sbc" --state "$work/replay.db" --batch "$batch" "$work/events.jsonl" \
  -o "$work/replay.jsonl" 2>"$work/replay.log" || true
tail -1 "$work/replay.log"
cat "$work/time.txt"
