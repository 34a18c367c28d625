#!/usr/bin/env bash
# Two daemons under wrk at the same time (issue 6, for a shared machine): BASE_SENTINEL and
# SENTINEL each serve on their own port with their own fresh database, and one wrk per daemon
# (THREADS threads, CONNS connections each) drives the same ROUTE for SECONDS, ROUNDS times (new
# daemons each round). Whatever else runs on the machine loads both alike, so the daemons' CPU
# time per request (user + system from /proc, around the run) compares the two builds even when
# bench/http.sh's sequential runs move with the load. requests/s and latency are printed too, but
# the two daemons and wrks share the cores: they are half of what one daemon gets alone. Each
# daemon's bytes written to storage per request (/proc/PID/io write_bytes) are printed too.
# Usage: BASE_SENTINEL=path SENTINEL=path bash bench/http-pair.sh [ROUTE=/v1/decisions]
#          [ROUNDS=3] [SECONDS=10] [CONNS=32] [THREADS=1]
# ROUTE /v1/bench/constant is the ceiling route (both daemons run with --bench-constant-route).
# Same daemon options, events and key as bench/http.sh; needs wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/http_daemon.sh
source bench/http_daemon.sh
route=${1:-/v1/decisions}
rounds=${2:-3}
seconds=${3:-10}
conns=${4:-32}
threads=${5:-1}
: "${BASE_SENTINEL:?set BASE_SENTINEL to the base build}"
: "${SENTINEL:?set SENTINEL to the new build}"
command -v wrk >/dev/null || { echo "bench/http-pair.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk per daemon: $threads threads, $conns connections, ${seconds}s, $route"
"$SENTINEL" compile rules/ -o "$work/rules.sbc" >/dev/null
python3 bench/http_events.py fixtures/reference-corpus/events.jsonl fixtures/reference-corpus/decisions.jsonl \
  "$work/events.txt" >/dev/null
export BENCH_EVENTS="$work/events.txt"
export BENCH_KEY="sk_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
start() { # label binary: starts a daemon, prints "pid url"
  mkdir -p "$work/$1"
  rm -f "$work/$1"/state.db*
  start_bench_daemon "$2" "$work/$1"
  echo "$daemon_pid $daemon_url"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Bytes the daemon caused to be written to storage (/proc/PID/io: WAL, checkpoints, fsyncs).
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io"; }
status=0
for r in $(seq 1 "$rounds"); do
  read -r pa ua < <(start base "$BASE_SENTINEL")
  pids+=("$pa")
  read -r pb ub < <(start new "$SENTINEL")
  pids+=("$pb")
  # Warm-up, not reported.
  wrk -t "$threads" -c "$conns" -d 2s -s bench/http.lua "$ua" -- "$route" wa >/dev/null 2>&1 &
  wrk -t "$threads" -c "$conns" -d 2s -s bench/http.lua "$ub" -- "$route" wb >/dev/null 2>&1 || true
  wait
  ba=$(cpu_ticks "$pa")
  bb=$(cpu_ticks "$pb")
  wa=$(written "$pa")
  wb=$(written "$pb")
  wrk -t "$threads" -c "$conns" -d "${seconds}s" --latency -s bench/http.lua "$ua" -- "$route" "a$r" >"$work/base/wrk.txt" 2>&1 &
  wrk -t "$threads" -c "$conns" -d "${seconds}s" --latency -s bench/http.lua "$ub" -- "$route" "b$r" >"$work/new/wrk.txt" 2>&1
  wait
  ea=$(cpu_ticks "$pa")
  eb=$(cpu_ticks "$pb")
  xa=$(written "$pa")
  xb=$(written "$pb")
  for label in base new; do
    if [ "$label" = base ]; then ticks=$((ea - ba)); bytes=$((xa - wa)); else ticks=$((eb - bb)); bytes=$((xb - wb)); fi
    python3 - "$r" "$label" "$work/$label/wrk.txt" "$ticks" "$(getconf CLK_TCK)" "$(cut -d' ' -f1 /proc/loadavg)" "$bytes" <<'PY' || status=1
import sys
sys.path.insert(0, "bench")
from wrk_result import parse
r, label, text, ticks, hz, load = sys.argv[1], sys.argv[2], open(sys.argv[3]).read(), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
w = parse(text)
print(f"round {r} {label:<4} {w['rps']:>8.0f} req/s   p50 {w['p50']:6.2f} ms   p99 {w['p99']:6.2f} ms   ({w['total']} requests)"
      f"   daemon CPU {1e6 * ticks / hz / max(w['total'], 1):.0f} µs/request"
      f"   written {int(sys.argv[7]) / max(w['total'], 1):.0f} B/request   load {load}")
if w["refused"]:
    print(f"  NOT COUNTED: {w['refused']}")
    sys.exit(1)
PY
  done
  kill "$pa" "$pb" 2>/dev/null || true
  wait "$pa" "$pb" 2>/dev/null || true
  pids=()
done
exit $status
