#!/usr/bin/env bash
# HTTP throughput and latency of the scoring daemon, with wrk on loopback (issue 6):
#   1. the HTTP stack's ceiling: POST /v1/bench/constant — the same requests and middleware
#      (request id, security headers, Host allow-list, rate limiter, metrics) and the same body
#      read, answered with a constant (`sentinel serve --bench-constant-route`)
#   2. POST /v1/decisions: reference-corpus events (the valid ones, cycled) with fresh event ids,
#      the reference rules, SQLite state (WAL, synchronous=FULL, group commit): each 200 is durable
# Both at CONNS connections for SECONDS each, in one run against one daemon; then the daemon's
# RSS, and the commit figures from its /metrics. Every non-2xx answer is reported (and fails
# the run: a figure with errors in it does not count). The daemon's CPU time (user + system, from
# /proc) per request is printed too: on a shared, loaded machine it is steadier than requests/s.
# Usage: bash bench/http.sh [SECONDS=10] [CONNS=64] [THREADS=2]   (SETTLE=10: idle seconds before
# the settled RSS is read)
# BASE_SENTINEL=path runs the same measurements against that binary first, in the same
# invocation (a baseline to compare with); DAEMON_ARGS adds options to both daemons' `serve`.
# Needs wrk (Debian: apt-get install wrk). SENTINEL=path uses that binary instead of building the
# release one (for checking the script; figures only count from a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/http_daemon.sh
source bench/http_daemon.sh
seconds=${1:-10}
conns=${2:-64}
threads=${3:-2}
command -v wrk >/dev/null || { echo "bench/http.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
if [ -n "${SENTINEL:-}" ]; then
  S=$SENTINEL
  echo "binary: $S (not the release build: a check of the script, not a figure)"
else
  swift build -c release --product sentinel >/dev/null
  S=.build/release/sentinel
fi
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(swift --version 2>&1 | head -1)"
echo "wrk: $threads threads, $conns connections, ${seconds}s per run, on the same machine as the daemon"
$S compile rules/ -o "$work/rules.sbc" >/dev/null
# The corpus' valid events (those whose golden line is a decision), event ids replaced by __ID__.
python3 bench/http_events.py fixtures/reference-corpus/events.jsonl fixtures/reference-corpus/decisions.jsonl \
  "$work/events.txt"
export BENCH_EVENTS="$work/events.txt"
# Every /v1 request carries the key (bench/http.lua): authentication runs as in production.
export BENCH_KEY="sk_bench_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
bench_daemon() { # label binary
label=$1
bin=$2
rm -f "$work/wrk.txt.rps" "$work/state.db" "$work/state.db-wal" "$work/state.db-shm"
# What an earlier daemon (or anything else) left dirty in the page cache is written back now,
# not during this daemon's fsyncs: without this, the base daemon (run first) committed in
# 1.2-1.4 ms and the second in 2.0-2.6 ms, whatever the builds (docs/performance.md, session 15).
sync
: >"$work/out.txt"
start_bench_daemon "$bin" "$work"
pid=$daemon_pid
url=$daemon_url
echo "daemon ($label, $bin${DAEMON_ARGS:+ $DAEMON_ARGS}): pid $pid, $url, RSS at start $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"

status=0
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
run() { # label path run-id
  local before after
  before=$(cpu_ticks)
  wrk -t "$threads" -c "$conns" -d "${seconds}s" --latency -s bench/http.lua "$url" -- "$2" "$3" >"$work/wrk.txt" 2>&1
  after=$(cpu_ticks)
  python3 - "$1" "$work/wrk.txt" "$((after - before))" "$(getconf CLK_TCK)" <<'PY' || status=1
import sys
sys.path.insert(0, "bench")
from wrk_result import parse
label, text = sys.argv[1], open(sys.argv[2]).read()
cpu_seconds = int(sys.argv[3]) / int(sys.argv[4])
w = parse(text)
rps = w["rps"]
print(f"{label:<28} {rps:>10.0f} req/s   p50 {w['p50']:6.3f} ms   p99 {w['p99']:6.3f} ms   ({w['total']} requests)"
      f"   daemon CPU {1e6 * cpu_seconds / max(w['total'], 1):.0f} µs/request")
if w["refused"]:
    print(f"  NOT COUNTED: {w['refused']}")
    sys.exit(1)
with open(sys.argv[2] + ".rps", "a") as f:
    f.write(f"{label} {rps}\n")
PY
}
# Warm-up (connections, allocator, page cache), not reported.
wrk -t "$threads" -c "$conns" -d 2s -s bench/http.lua "$url" -- /v1/bench/constant warm >/dev/null 2>&1 || true
run "constant (ceiling)" /v1/bench/constant c
run "decisions (SQLite, durable)" /v1/decisions d
python3 - "$work/wrk.txt.rps" <<'PY' || true
import sys
r = dict(l.rsplit(" ", 1) for l in open(sys.argv[1]).read().splitlines())
c, d = float(r["constant (ceiling)"]), float(r["decisions (SQLite, durable)"])
print(f"decisions / ceiling: {100 * d / c:.0f}%")
PY
echo "daemon RSS after the runs: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status) (peak $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status))"
# Idle: the periodic trim (--trim-interval) hands the allocator's free memory back; what stays is
# the daemon's settled footprint (bounded SQLite page cache: --db-cache-mib).
sleep "${SETTLE:-10}"
echo "daemon RSS after ${SETTLE:-10} s idle: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
curl -s "$url/metrics" | python3 -c '
import re, sys
m = {}
for line in sys.stdin:
    if line.startswith("#"): continue
    k, _, v = line.rstrip().rpartition(" ")
    m[k] = float(v)
commits = m.get("sentinel_commits_total{result=\"success\"}", 0)
size = m.get("sentinel_commit_group_size_sum", 0)
decisions = sum(v for k, v in m.items() if k.startswith("sentinel_decisions_total"))
dur = m.get("sentinel_commit_duration_seconds_sum", 0)
print(f"commits: {commits:.0f} holding {size:.0f} decisions (mean group {size / max(commits, 1):.1f}), "
      f"mean commit {1000 * dur / max(commits, 1):.2f} ms; decisions counted: {decisions:.0f}")
'
kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
pid=""
}
if [ -n "${BASE_SENTINEL:-}" ]; then
  echo "== base: $BASE_SENTINEL"
  bench_daemon base "$BASE_SENTINEL"
  echo "== this build: $S"
fi
bench_daemon new "$S"
exit $status
